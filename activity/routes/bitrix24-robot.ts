/**
 * `POST /b24/robot`: the workflow reached the "Approve & sign PDF" robot or activity (reference §3). The form
 * body (bracket keys, size-limited) is validated with zod, the `auth[application_token]` compared in constant
 * time with the stored one of `auth[member_id]`, and the sign request stored once per `event_token` and
 * queued. The answer goes out at once — the call is fire-and-forget for the portal and a lost call is never
 * resent (§4.3). That token is visible to every portal user, so the call is only a claim: a worker has the
 * portal confirm it before anybody is asked to sign (worker/bitrix24/confirm-robot-call.ts).
 */
import { Router } from '@koa/router';
import type { FormObject } from '../../shared/bitrix24/form-body.js';
import { parseB24Payload, ZRobotCall } from '../../shared/bitrix24/payloads.js';
import { verifyApplicationToken } from '../../shared/bitrix24/verify-application-token.js';
import { receiveRobotCall } from '../../shared/sign-requests/receive-robot-call.js';
import type { Bitrix24RoutesDeps } from '../bitrix24/install-portal.js';
import { bitrix24Form } from '../middleware/bitrix24-form.js';
import { logRefusal, memberOf, requireApplicationToken } from './bitrix24-lifecycle.js';

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
  });
  return router;
}
