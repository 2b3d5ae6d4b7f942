/**
 * `POST /b24/robot`: the workflow reached the "Approve & sign PDF" robot or activity (reference §3). The form
 * body (bracket keys, size-limited) is validated with zod, the `auth[application_token]` compared in constant
 * time with the stored one of `auth[member_id]`, and the sign request stored once per `event_token` (queued
 * when a worker has to act first). The answer goes out without waiting for Bitrix24 — the call is
 * fire-and-forget for the portal and a lost call is never resent (§4.3) — and only then "waiting for
 * <signer>" is written to the workflow log (`bizproc.activity.log`, batched with other calls, best effort).
 */
import { Router } from '@koa/router';
import type { FormObject } from '../../shared/bitrix24/form-body.js';
import { parseB24Payload, ZRobotCall } from '../../shared/bitrix24/payloads.js';
import { verifyApplicationToken } from '../../shared/bitrix24/verify-application-token.js';
import type { SignRequest } from '../../shared/domain/sign-request.js';
import { receiveRobotCall } from '../../shared/sign-requests/receive-robot-call.js';
import type { Bitrix24RoutesDeps } from '../bitrix24/install-portal.js';
import { bitrix24Form } from '../middleware/bitrix24-form.js';
import { logRefusal, memberOf, requireApplicationToken } from './bitrix24-lifecycle.js';

/** "Waiting for <signer>" in the workflow log, after the answer. */
async function logWaiting(deps: Bitrix24RoutesDeps, request: SignRequest): Promise<void> {
  const robot = request.robot;
  if (!robot || request.state !== 'awaiting_signer') return;
  const account = await deps.store.accounts.get(request.accountId);
  const signer = account ? account.description || account.login : `user ${robot.signerUserId}`;
  const until = request.deadline ? ` until ${request.deadline.toISOString().slice(0, 16).replace('T', ' ')} UTC` : '';
  // Repeatable: a log line written twice after a lost answer does no harm.
  await deps.b24.calls.call(
    robot.memberId,
    'bizproc.activity.log',
    { EVENT_TOKEN: robot.eventToken, LOG_MESSAGE: `SignService: waiting for ${signer} to approve and sign${until}` },
    { repeatable: true },
  );
}

/** The robot handler route. */
export function bitrix24RobotRoutes(deps: Bitrix24RoutesDeps): Router {
  const router = new Router();
  router.post('/b24/robot', bitrix24Form(), async function robotCall(ctx) {
    const body = ctx.state.b24Form as FormObject;
    await logRefusal(deps, ctx, memberOf(body), async () => requireApplicationToken(body));
    const call = parseB24Payload(ZRobotCall, body, 'robot call');
    await logRefusal(deps, ctx, call.auth.member_id, () =>
      verifyApplicationToken(deps.store.portals, call.auth.member_id, call.auth.application_token),
    );
    const { request, created } = await receiveRobotCall(deps, call);
    ctx.body = { accepted: true, requestId: request.id, state: request.state };
    deps.logger.info(
      { requestId: request.id, memberId: call.auth.member_id, state: request.state, repeated: !created },
      'robot call received',
    );
    if (created) {
      setImmediate(() => {
        logWaiting(deps, request).catch((error: unknown) =>
          deps.logger.warn({ requestId: request.id, error }, 'workflow log line not written'),
        );
      });
    }
  });
  return router;
}
