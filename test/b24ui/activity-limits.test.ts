/**
 * Issue 10 item 7 against the running HTTP app (`start:activity`, a child process) with the portal
 * emulator, RabbitMQ, a SoftHSM2 token and headless Chromium: what one session or link holder — and everybody
 * together — can make the service do at once.
 *
 * - 400 concurrent long polls of one Sign dialog session: 2 are held (POLL_MAX_PER_SESSION), 398 are refused
 *   at once with 429 and Retry-After; a slot comes back when its poll ends or its client goes away.
 * - Across sessions and links, no more than POLL_MAX_TOTAL (6 here) are held.
 * - The approval page's script, refused with 429, waits as long as Retry-After says (Chromium).
 * - 27 page images requested at once: never more than PREVIEW_PROCESSES (2, the default) `pdftoppm`
 *   processes run at the same time (counted by a wrapper around the real pdftoppm on the service's PATH), and
 *   each page is rendered once.
 *
 * Requests stay where they are because no worker runs while the limits are tried: one ran first, only to
 * prepare the robot steps (awaiting_signer).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PDF_FIELD } from '../b24app/b24app-fixture.js';
import { makePdf } from '../pipeline/make-pdfs.js';
import type { PortalHandle } from '../support/bitrix24-emulator/index.js';
import { type CountedCommand, countedCommand } from '../support/counted-command.js';
import { freePort, startServiceProcess } from '../support/service-process.js';
import { getUnder, openPage, postForm, type WaitingStep, waitingStep } from './approval-calls.js';
import { B24UiFixture, type UiSigner } from './b24ui-fixture.js';

/** CPU seconds a process has used (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

describe('Limits of the HTTP app: long polls per session and in total, the preview pool (service, Chromium)', function () {
  this.timeout(300_000);
  const fx = new B24UiFixture();
  const wrapperDir = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-pdftoppm-'));
  const pdftoppm: CountedCommand = countedCommand(wrapperDir, 'pdftoppm', '/usr/bin/pdftoppm', ['-v']);
  let portal: PortalHandle;
  let mary: UiSigner;
  let peter: UiSigner;
  let dialog: { session: string; csrf: string; requestId: string };
  const steps: WaitingStep[] = [];

  before(async () => {
    await fx.startUi({ POLL_MAX_TOTAL: '6', PATH: `${wrapperDir}:${process.env.PATH}` }, { args: ['--no-worker'] });
    portal = fx.emulator.portal('portal-a.bitrix24.test');
    await fx.install(portal);
    mary = await fx.uiSigner(portal, 'mary', { language: 'en' });
    peter = await fx.uiSigner(portal, 'peter', { language: 'en' });
    // A worker only while the robot steps are prepared; afterwards nothing moves.
    const worker = await startServiceProcess({ entry: 'worker', port: await freePort(), env: fx.env });
    try {
      for (let i = 1; i <= 6; i++) steps.push(await waitingStep(fx, portal, mary.userId, `Preview ${i}`, 5));
      steps.push(await waitingStep(fx, portal, peter.userId, 'Peter approves', 2));
    } finally {
      await worker.stop('SIGTERM', 30_000);
    }
    const dealId = fx.deal(portal, 'Dialog deal', await makePdf('Dialog deal', 1));
    const opened = await fx.emulator.openPlacement(portal, 'CRM_DEAL_DETAIL_TOOLBAR', mary.userId, { dealId });
    const session = /data-session="([^"]+)"/.exec(opened.response.body)?.[1] ?? '';
    const csrf = /data-csrf="([^"]+)"/.exec(opened.response.body)?.[1] ?? '';
    const fileId = String(portal.getDeal(dealId)?.files[PDF_FIELD]?.[0]?.id);
    const signed = await fetch(`${fx.baseUrl}/b24/dialog/sign`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-dialog-session': session,
        'x-csrf-token': csrf,
        origin: fx.baseUrl,
      },
      body: JSON.stringify({
        fieldCode: PDF_FIELD,
        fileId,
        certId: fx.certId,
        otp: mary.code(),
        visible: true,
        page: 'last',
        position: 'bottom-right',
      }),
    });
    const body = (await signed.json()) as { id: string; state: string };
    assert.equal(signed.status, 202, JSON.stringify(body));
    assert.equal(body.state, 'approved');
    dialog = { session, csrf, requestId: body.id };
  });
  after(async () => {
    await fx.stopUi();
    fs.rmSync(wrapperDir, { recursive: true, force: true });
  });

  /** A dialog status long poll; `signal` aborts it. */
  const dialogPoll = (signal: AbortSignal) =>
    fetch(`${fx.baseUrl}/b24/dialog/status/${dialog.requestId}?after=approved`, {
      headers: { 'x-dialog-session': dialog.session },
      signal,
    });
  /** An approval-page status long poll of `link`. */
  const approvalPoll = (link: string, after: string, signal: AbortSignal) => {
    const url = new URL(link);
    url.pathname = `${url.pathname}/status`;
    url.search = `?after=${after}`;
    return fetch(url, { signal });
  };

  /** Starts `count` polls; resolves once the refused ones have answered, with the held ones still open. */
  async function storm(count: number, start: (signal: AbortSignal) => Promise<Response>) {
    const controller = new AbortController();
    const answers: Response[] = [];
    const pending = Array.from({ length: count }, () =>
      start(controller.signal).then(
        (r) => {
          answers.push(r);
          return r;
        },
        () => undefined,
      ),
    );
    // The refusals come at once; the held polls wait up to 20 s for a change that never comes.
    await sleep(3000);
    return { answers: [...answers], abort: () => controller.abort(), pending };
  }

  it('400 concurrent long polls of one dialog session: 2 held, 398 refused at once with 429 and Retry-After', async () => {
    const pid = fx.service!.child.pid!;
    const cpuBefore = cpuSeconds(pid);
    const run = await storm(400, dialogPoll);
    assert.equal(run.answers.length, 398, `${run.answers.length} answered within 3 s`);
    assert.ok(run.answers.every((r) => r.status === 429 && r.headers.get('retry-after') === '2'));
    const body = (await run.answers[0]!.json()) as { error: { code: string } };
    assert.equal(body.error.code, 'TOO_MANY_REQUESTS');
    await sleep(5000);
    const cpu = cpuSeconds(pid) - cpuBefore;
    process.stdout.write(`      CPU of the service: ${cpu.toFixed(2)} s over 8 s with 400 polls sent, 2 held\n`);
    // The client goes away: its slots come back at once.
    run.abort();
    await Promise.all(run.pending);
    await sleep(200);
    const next = await storm(3, dialogPoll);
    assert.deepEqual(
      next.answers.map((r) => r.status),
      [429],
      'two held again, the third refused',
    );
    // A poll that runs its course (20 s without a change) answers 200 and gives its slot back too.
    const finished = (await Promise.all(next.pending)).filter((r) => r?.status === 200);
    assert.equal(finished.length, 2);
    const again = await storm(1, dialogPoll);
    assert.equal(again.answers.length, 0, 'accepted and held');
    again.abort();
  });

  it('across sessions and links, at most POLL_MAX_TOTAL (6) long polls are held; the rest get 429', async () => {
    const links = steps.slice(0, 4).map((s) => s.link);
    const controller = new AbortController();
    const polls = links.flatMap((link) => [0, 1].map(() => approvalPoll(link, 'awaiting_signer', controller.signal)));
    const settled: Response[] = [];
    for (const p of polls) p.then((r) => settled.push(r)).catch(() => undefined);
    await sleep(3000);
    assert.deepEqual(
      settled.map((r) => r.status),
      [429, 429],
      'eight polls over four links: six held, two refused',
    );
    // Another session is refused too while the total is taken.
    const dialogRefused = await dialogPoll(new AbortController().signal);
    assert.equal(dialogRefused.status, 429);
    controller.abort();
    await Promise.allSettled(polls);
  });

  it('the approval page’s script waits as long as Retry-After says when its status calls are refused', async () => {
    const step = steps.at(-1)!;
    const page = await openPage(step.link);
    const approved = await postForm(step.link, 'approve', {
      csrf_token: page.csrf,
      cert: page.cert,
      otp: peter.code(),
    });
    assert.equal(approved.status, 303);
    // Two polls hold the link's slots; the page's own status calls are refused with 429.
    const holders = new AbortController();
    const held = [0, 1].map(() => approvalPoll(step.link, 'approved', holders.signal).catch(() => undefined));
    await sleep(500);
    const browserPage = await fx.chromium.browser.newPage();
    const statusCalls: number[] = [];
    browserPage.on('request', (r) => {
      if (r.url().includes('/status?')) statusCalls.push(Date.now());
    });
    try {
      await browserPage.goto(step.link);
      await browserPage.locator('#approval-outcome[data-status-url]').waitFor();
      await sleep(7000);
      // Backing off 2 s after each 429: about four calls in 7 s (a tight loop would make hundreds); the gaps
      // are measured from the browser's request events, which arrive with some jitter.
      assert.ok(statusCalls.length >= 2 && statusCalls.length <= 5, `${statusCalls.length} status calls in 7 s`);
      const gaps = statusCalls.slice(1).map((t, i) => t - (statusCalls[i] as number));
      assert.ok(
        gaps.every((g) => g >= 1500),
        `gaps ${gaps.join(', ')} ms`,
      );
    } finally {
      await browserPage.close();
      holders.abort();
      await Promise.all(held);
    }
  });

  it('27 page images at once: at most 2 pdftoppm processes at a time, each page rendered once', async () => {
    const targets = steps
      .slice(0, 6)
      .flatMap((s) => [1, 2, 3, 4, 5].map((n) => ({ link: s.link, n })))
      .slice(0, 27);
    const fetchAll = () =>
      Promise.all(
        targets.map(async ({ link, n }) => {
          const response = await getUnder(link, `page/${n}.png`);
          const png = Buffer.from(await response.arrayBuffer());
          assert.equal(response.status, 200, `page ${n}: ${png.toString('utf8', 0, 200)}`);
          assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
          return png.length;
        }),
      );
    await fetchAll();
    const first = pdftoppm.runs();
    process.stdout.write(`      pdftoppm: ${first.total} runs, at most ${first.maxConcurrent} at once\n`);
    assert.equal(first.total, 27, 'one render per page');
    assert.ok(first.maxConcurrent <= 2 && first.maxConcurrent >= 1, `${first.maxConcurrent} at once`);
    // The same 27 again: from the cache, no process at all.
    await fetchAll();
    assert.equal(pdftoppm.runs().total, 27);
    // Ten requests for one page not rendered yet: one render.
    const last = steps[5]!;
    await Promise.all(Array.from({ length: 10 }, () => getUnder(last.link, 'page/5.png').then((r) => r.arrayBuffer())));
    assert.equal(pdftoppm.runs().total, 28);
  });
});
