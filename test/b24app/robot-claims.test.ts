/**
 * Robot calls are claims: their application_token is in every portal user's browser, so Eve, an ordinary
 * employee, can post "robot calls" naming any deal, signer and message. The handler still answers 200 at once
 * and stores each call once, but the worker asks the portal (with the app's own tokens) before anybody is
 * asked to sign: a workflow that is not running, a deal that does not exist, an event token the portal did not
 * issue, a robot code that is not ours, a signer who is not an active user — each request fails with
 * B24_CALL_UNCONFIRMED, a warning and a sign-log entry, the administrator hears of it, and the named signer
 * gets nothing. A genuine robot call still reaches its signer.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode } from '../../shared/errors.js';
import { robotRequestId } from '../../shared/sign-requests/receive-robot-call.js';
import { makePdf } from '../pipeline/make-pdfs.js';
import { signLogOf } from '../pipeline/pipeline-fixture.js';
import type { PortalHandle, RobotRun } from '../support/bitrix24-emulator/index.js';
import { postB24Form } from '../support/post-b24-form.js';
import { B24AppFixture, PDF_FIELD, type PortalSigner, ROBOT_CODE } from './b24app-fixture.js';

const post = postB24Form;

const URGENT = 'URGENT: the CEO needs this signed now';
const TITLE = '[URL=https://evil.example/login]Claims[/URL]';

describe('Bitrix24 robot calls are claims the portal has to confirm', function () {
  this.timeout(180_000);
  const fx = new B24AppFixture();
  let a: PortalHandle;
  let mary: PortalSigner;
  let dealId: number;
  /** A genuine run whose step still waits: its workflow is running on `dealId`. */
  let genuine: RobotRun;

  const notificationsFor = (requestId: string) => a.notifications().filter((n) => n.tag.includes(requestId));

  before(async () => {
    await fx.start({ emulator: { portals: [{ domain: 'portal-a.bitrix24.test' }] } });
    a = fx.emulator.portal('portal-a.bitrix24.test');
    await fx.install(a);
    mary = await fx.signer(a, 'mary');
    fx.deal(a, 'Field', await makePdf('Field', 1));
    // A title and a message with BB-code of their own: they must reach the notice as text, not markup.
    const files = { [PDF_FIELD]: [{ name: 'claims.pdf', bytes: await makePdf('Claims', 1) }] };
    dealId = a.createDeal({ title: TITLE, files }).id;
  });
  after(() => fx.stop());

  it('a genuine robot call is confirmed and reaches its signer', async () => {
    genuine = await fx.emulator.runRobot(a, ROBOT_CODE, {
      dealId,
      properties: { signer: `user_${mary.userId}`, message: '[B]Please[/B] sign' },
    });
    assert.equal(genuine.response.status, 200, genuine.response.body);
    const id = fx.requestIdOf(a, genuine);
    const waiting = await fx.waitFor(id, (r) => r.state === 'awaiting_signer');
    assert.equal(waiting.accountId, mary.account.id);
    const deadline = Date.now() + 30_000;
    while (!notificationsFor(id).some((n) => n.toUserId === mary.userId) && Date.now() < deadline) await sleep(100);
    const notice = notificationsFor(id).find((n) => n.toUserId === mary.userId);
    assert.ok(notice, 'Mary was asked to sign');
    assert.match(notice.tag, /\|requested$/);
    assert.ok(notice.message.includes('&#91;URL=https://evil.example/login&#93;Claims&#91;/URL&#93;'), notice.message);
    assert.ok(notice.message.includes('&#91;B&#93;Please&#91;/B&#93; sign'), notice.message);
    assert.doesNotMatch(notice.message, /\[URL=https:\/\/evil|\[B\]/, 'no markup of theirs survives');
    assert.match(
      notice.message,
      new RegExp(`\\[URL=${fx.baseUrl}/b24/approve/[^\\]]+\\]`),
      'our own link stays a link',
    );
    const log = a
      .activityLogs()
      .filter((l) => l.workflowId === genuine.workflowId)
      .map((l) => l.message);
    assert.ok(
      log.some((m) => /confirming it with the portal/.test(m)),
      log.join('\n'),
    );
    const batches = a.requests().filter((r) => r.method === 'batch' && r.status === 200);
    const confirmation = batches.find((r) => JSON.stringify(r.params).includes('bizproc.workflow.instances'));
    assert.ok(confirmation, 'the checks travelled in one batch');
    for (const method of ['crm.item.get', 'user.get', 'bizproc.activity.log']) {
      assert.ok(JSON.stringify(confirmation.params).includes(method), `${method} in the batch`);
    }
  });

  it('forged calls never reach a signer: each fails unconfirmed, is sign-logged, and only the admin is told', async () => {
    const base = genuine.sent as Record<string, unknown>;
    const forge = (change: Record<string, unknown>, properties: Record<string, string> = {}) => ({
      ...base,
      properties: { ...(base.properties as object), signer: `user_${mary.userId}`, message: URGENT, ...properties },
      ...change,
    });
    const inactive = a.createUser({ name: 'Former', lastName: 'Employee', active: false }).id;
    const fakeWorkflow = '0123456789abcd.12345678';
    const cases: [string, Record<string, unknown>][] = [
      [
        'workflow_not_running',
        forge({ workflow_id: fakeWorkflow, event_token: `${fakeWorkflow}|A1_2_3_4|forged.token` }),
      ],
      [
        'deal_not_found',
        forge({
          workflow_id: fakeWorkflow,
          event_token: `${fakeWorkflow}|A1_2_3_5|forged.token`,
          document_id: ['crm', 'CCrmDocumentDeal', 'DEAL_999999'],
        }),
      ],
      [
        'event_token_refused',
        forge({ event_token: `${genuine.workflowId}|A98765_43210_11111_22222|${'x'.repeat(32)}.${'0'.repeat(64)}` }),
      ],
      ['unknown_robot', forge({ code: 'some_other_robot', event_token: `${genuine.workflowId}|A1_1_1_1|other` })],
      ['signer_not_active', forge({ event_token: `${genuine.workflowId}|A2_2_2_2|x` }, { signer: `user_${inactive}` })],
    ];
    const ids: [string, string][] = [];
    for (const [claim, fields] of cases) {
      const answer = await post(`${fx.baseUrl}/b24/robot`, fields);
      assert.equal(answer.status, 200, `${claim}: the handler answers fast and stores the claim: ${answer.body}`);
      ids.push([claim, robotRequestId(a.memberId, String(fields.event_token))]);
    }
    for (const [claim, id] of ids) {
      const failed = await fx.waitFor(id, (r) => r.state === 'failed');
      assert.equal(failed.failure?.code, ErrorCode.B24_CALL_UNCONFIRMED, `${claim}: ${JSON.stringify(failed.failure)}`);
      assert.match(failed.failure?.message ?? '', /does not confirm this robot call/);
      console.log(`      ${claim}: ${failed.failure?.message}`);
    }
    await sleep(3000); // several notice and robot sweeps (ROBOT_SWEEP_SECONDS=1)
    for (const [claim, id] of ids) {
      const told = notificationsFor(id);
      assert.ok(
        told.every((n) => n.toUserId === 1),
        `${claim}: nobody but the administrator is told: ${JSON.stringify(told)}`,
      );
      assert.ok(told.length >= 1, `${claim}: the administrator is told`);
      assert.ok(
        told.every((n) => !n.message.includes(URGENT)),
        `${claim}: the forged message is not repeated`,
      );
    }
    const refusals = (await signLogOf(fx.store)).filter((e) => e.action === 'robot_call_refused');
    assert.deepEqual(refusals.map((e) => e.details?.reason).sort(), cases.map(([claim]) => claim).sort());
    assert.ok(refusals.every((e) => e.actor.memberId === a.memberId && e.outcome === 'error'));
    const warnings = fx
      .service!.output()
      .split('\n')
      .filter((l) => l.includes('robot call the portal does not confirm'));
    assert.ok(warnings.length >= cases.length, `${warnings.length} warnings`);
    const genuineRequest = await fx.store.signRequests.get(fx.requestIdOf(a, genuine));
    assert.equal(genuineRequest?.state, 'awaiting_signer', 'the genuine request is untouched');
    assert.equal(
      a.workflowSteps().find((s) => s.workflowId === genuine.workflowId)?.state,
      'waiting',
      'the forged calls did not close the genuine step',
    );
  });
});
