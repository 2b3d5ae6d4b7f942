/**
 * /api/v1/requests: sign requests in flight with their step and progress, failed ones with the reason; a
 * failed request can be retried (a new request for the same document, certificate and placement, queued
 * at once — only when the signer had authorised it and no workflow waits for the old one's outcome), and
 * a request waiting for its signer can be cancelled (the workflow gets Result=rejected with the reason);
 * and the jobs the queue parked (gave up on), each with its reason and request.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { SignRequest } from '../../../shared/domain/sign-request.js';
import { SIGN_REQUEST_STATES } from '../../../shared/domain/sign-request.js';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import type { TSignJobV1 } from '../../../shared/messages/sign-job.js';
import { rejectSignRequest } from '../../../shared/sign-requests/approve-sign-request.js';
import { listParkedSignJobs } from '../../../shared/sign-requests/parked-sign-jobs.js';
import type { AdminApiDeps } from '../../admin/admin-api-deps.js';
import { type ApiRoute, type Caller, defineRoute } from '../../admin/api-route.js';
import { accountsFor } from '../../admin/portal-scope.js';
import { actorOf } from './account-routes.js';

const ZRequestView = z.object({
  id: z.string(),
  state: z.enum(SIGN_REQUEST_STATES),
  account: z.string().nullable(),
  certId: z.string(),
  route: z.string(),
  source: z.string().describe('"robot", "dialog" or "file"'),
  dealId: z.number().nullable(),
  steps: z.array(z.string()).describe('Finished pipeline steps, in order'),
  failure: z.object({ code: z.string(), message: z.string() }).nullable(),
  deadline: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const ZParkedJob = z.object({
  messageId: z.string(),
  route: z.string(),
  reason: z.string().describe('Why the queue gave up on the job'),
  attempts: z.number(),
  parkedAt: z.string(),
  requestId: z.string().nullable().describe('The sign request the job was for; null when its body names none'),
  requestState: z.enum(SIGN_REQUEST_STATES).nullable().describe('null when no such request exists'),
  account: z.string().nullable(),
});

const STEP_ORDER = ['authorize', 'fetch', 'sign', 'deliver', 'log', 'notify', 'callback'] as const;

export function requestRoutes(deps: AdminApiDeps): ApiRoute[] {
  const scoped = async (caller: Caller | undefined) => {
    const accounts = await accountsFor(deps.store, caller);
    return new Map(accounts.map((a) => [a.id, a.login]));
  };
  const view = (r: SignRequest, logins: Map<string, string>) => ({
    id: r.id,
    state: r.state,
    account: logins.get(r.accountId) ?? null,
    certId: r.certId,
    route: r.route,
    source: r.robot ? 'robot' : r.document.kind === 'bitrix24' ? 'dialog' : 'file',
    dealId: r.document.kind === 'bitrix24' ? r.document.entityId : null,
    steps: STEP_ORDER.filter((s) => r.steps[s] !== undefined),
    failure: r.failure ?? null,
    deadline: r.deadline?.toISOString() ?? null,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  });
  const load = async (caller: Caller | undefined, id: string) => {
    const logins = await scoped(caller);
    const request = await deps.store.signRequests.get(id);
    if (!request || !logins.has(request.accountId)) {
      throw new AppError(ErrorCode.SIGN_REQUEST_NOT_FOUND, `No sign request with id ${id}`);
    }
    return { request, logins };
  };
  const queue = () => {
    if (!deps.queue) throw new AppError(ErrorCode.QUEUE_UNAVAILABLE, 'This process has no job queue');
    return deps.queue;
  };
  const ZId = z.object({ id: z.string().min(1).max(200) });

  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/requests',
      authority: 'read',
      tag: 'Requests',
      summary: 'Sign requests, newest first (filter by state)',
      query: z.object({
        state: z.enum(SIGN_REQUEST_STATES).optional(),
        id: z.string().min(1).max(200).optional().describe('Only this request'),
      }),
      response: z.object({ requests: z.array(ZRequestView) }),
      async handler({ query, caller }) {
        const logins = await scoped(caller);
        const all = query.id
          ? [await deps.store.signRequests.get(query.id)].filter((r) => r !== undefined)
          : await deps.store.signRequests.list(query.state ? { state: query.state } : {}, 500);
        return {
          requests: all
            .filter((r) => logins.has(r.accountId) && (!query.state || r.state === query.state))
            .map((r) => view(r, logins)),
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/requests/parked',
      authority: 'read',
      tag: 'Requests',
      summary:
        'Jobs the queue gave up on (parked), oldest first, with the reason and their request; a portal administrator sees only those of their portal’s requests',
      response: z.object({ parked: z.array(ZParkedJob) }),
      async handler({ caller }) {
        const logins = await scoped(caller);
        const jobs = await listParkedSignJobs(queue(), await deps.queueRoutes());
        const parked = [];
        for (const job of jobs) {
          const request = job.requestId ? await deps.store.signRequests.get(job.requestId) : undefined;
          // Confined callers see only jobs of requests of their portal: never one naming no request.
          if (caller?.portal && !(request && logins.has(request.accountId))) continue;
          parked.push({
            messageId: job.messageId,
            route: job.route,
            reason: job.reason,
            attempts: job.attempts,
            parkedAt: job.parkedAt.toISOString(),
            requestId: job.requestId ?? null,
            requestState: request?.state ?? null,
            account: (request && logins.get(request.accountId)) ?? null,
          });
        }
        return { parked };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/requests/:id/retry',
      authority: 'write',
      tag: 'Requests',
      summary: 'Retry a failed request: a new request for the same document, queued now',
      params: ZId,
      status: 201,
      response: ZRequestView,
      async handler({ params, caller }) {
        const { request, logins } = await load(caller, params.id);
        if (request.state !== 'failed') {
          throw new AppError(
            ErrorCode.SIGN_REQUEST_NOT_PENDING,
            `Only a failed request can be retried (this one is ${request.state})`,
          );
        }
        if (!request.steps.authorize) {
          throw new AppError(
            ErrorCode.SIGN_REQUEST_NOT_PENDING,
            'The signer never authorised this request; it cannot be retried for them',
          );
        }
        if (request.robot) {
          throw new AppError(
            ErrorCode.SIGN_REQUEST_NOT_PENDING,
            'The workflow was told this step failed; start the workflow again in Bitrix24',
          );
        }
        const at = deps.now();
        const { failure: _f, inputSha256: _i, signedSha256: _s, notified: _n, ...kept } = request;
        const retry: SignRequest = {
          ...kept,
          id: randomUUID(),
          state: 'approved',
          version: 1,
          steps: { authorize: request.steps.authorize },
          createdAt: at,
          updatedAt: at,
        };
        // The request and its log entry together; a job that cannot be queued now is queued by the recovery sweep.
        await deps.store.transaction(async () => {
          await deps.store.signRequests.create(retry);
          await deps.store.signLog.append({
            time: at,
            action: 'request_retried',
            actor: actorOf(caller),
            outcome: 'ok',
            requestId: retry.id,
            details: { retryOf: request.id, accountId: request.accountId },
          });
        });
        const job: TSignJobV1 = { type: 'sign-request', version: 1, requestId: retry.id, route: retry.route };
        await queue().publish(retry.route, job, { messageId: retry.id });
        return view(retry, logins);
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/requests/:id/cancel',
      authority: 'write',
      tag: 'Requests',
      summary: 'Cancel a request waiting for its signer; the workflow gets Result=rejected with the reason',
      params: ZId,
      body: z.object({ reason: z.string().trim().min(1).max(1000) }),
      response: ZRequestView,
      async handler({ params, body, caller }) {
        const { request, logins } = await load(caller, params.id);
        const rejected = await rejectSignRequest({
          store: deps.store,
          queue: queue(),
          requestId: request.id,
          reason: body.reason,
          actor: actorOf(caller),
          now: deps.now,
        });
        return view(rejected, logins);
      },
    }),
  ];
}
