/**
 * One portal REST request, `<origin>/<domain>/rest/<method>[.json]`, from arrival to answer:
 *
 * 1. record it (time, method, parameters without `auth`);
 * 2. the portal's leaky bucket: over the limit → `503 QUERY_LIMIT_EXCEEDED` [bitrix24.md §1.7];
 * 3. fault injection (`FaultInjector.pick`);
 * 4. the access token from `auth`: none → `401 NO_AUTH_FOUND`, unknown or another portal's →
 *    `401 invalid_token`, expired → `401 expired_token` [bitrix24.md §1.5, §1.6];
 * 5. the method (scope and admin checks, then the handler) and the `{result, total?, next?, time}` envelope.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { FILE_DOWNLOAD_METHOD } from './deal-files.js';
import { type EmulatorCore, type RecordedRequest, restTime } from './emulator-core.js';
import type { FaultKind } from './fault-injector.js';
import { decodeParams, readBody, safeDecode, sendJson } from './http-io.js';
import type { PortalState } from './portal-state.js';
import { asText, type MethodOutcome, type Params, type RawAnswer } from './rest-context.js';
import { RestError, restErrors } from './rest-errors.js';
import { callMethod } from './rest-methods.js';

/** A JSON answer, or a raw one (file download). */
type Answer = { status: number; json: Record<string, unknown> } | { status: number; raw: RawAnswer };

/** Faults answered without running the method. */
const ERROR_FAULTS: Partial<Record<FaultKind, () => RestError>> = {
  expired_token: restErrors.expiredToken,
  query_limit: restErrors.queryLimit,
  operation_time_limit: restErrors.operationTimeLimit,
  '5xx': restErrors.internal,
};

/** Serves one REST request of `portal`; `methodPath` is the path after `/rest/`. */
export async function serveRest(
  core: EmulatorCore,
  portal: PortalState,
  methodPath: string,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const atMs = core.now();
  const method = safeDecode(methodPath)
    .toLowerCase()
    .replace(/\.json$/, '');
  const record: RecordedRequest = {
    atMs,
    portal: portal.domain,
    kind: method === FILE_DOWNLOAD_METHOD ? 'download' : 'rest',
    httpMethod: req.method ?? 'GET',
    path: url.pathname,
    method,
    params: {},
    status: 0,
    error: undefined,
    fault: undefined,
    rateLimited: false,
    userId: undefined,
  };
  core.log.push(record);
  let params: Params;
  try {
    params = decodeParams(url, await readBody(req, core.settings.maxBodyBytes), req.headers['content-type']);
  } catch (error) {
    return write(res, record, errorAnswer(error));
  }
  const { auth, ...rest } = params;
  record.params = rest;
  if (!portal.bucket.tryTake(atMs)) {
    record.rateLimited = true;
    return write(res, record, errorAnswer(restErrors.queryLimit()));
  }
  const fault = core.faults.pick(portal.domain, method, rest);
  record.fault = fault;
  const faultError = fault === undefined ? undefined : ERROR_FAULTS[fault];
  if (faultError !== undefined) {
    // An injected expiry is real: the token stays expired, so only a refresh helps.
    if (fault === 'expired_token') core.tokens.expire(asText(auth));
    return write(res, record, errorAnswer(faultError()));
  }
  if (fault === 'timeout') return holdAndDrop(core, res, record);
  // A slow portal: the call runs only after the latency, so calls sent together all run after it.
  if (portal.latencyMs > 0) await sleep(portal.latencyMs);
  const answer = execute(core, portal, method, asText(auth), rest, record, atMs);
  if (fault === 'timeout_after_execute') return holdAndDrop(core, res, record);
  write(res, record, answer);
}

function execute(
  core: EmulatorCore,
  portal: PortalState,
  method: string,
  auth: string,
  params: Params,
  record: RecordedRequest,
  startMs: number,
): Answer {
  try {
    if (auth === '') throw restErrors.noAuth();
    const found = core.tokens.lookup(auth);
    if (found === undefined || found.grant.memberId !== portal.memberId) throw restErrors.invalidToken();
    if (found.expired) throw restErrors.expiredToken();
    const user = portal.users.get(found.grant.userId);
    if (user === undefined || !user.active) throw restErrors.invalidToken();
    record.userId = user.id;
    const outcome = callMethod(method, { core, portal, user, grant: found.grant, params });
    return envelope(outcome, startMs, core.now());
  } catch (error) {
    return errorAnswer(error);
  }
}

function envelope(outcome: MethodOutcome, startMs: number, finishMs: number): Answer {
  if ('raw' in outcome) return { status: outcome.raw.status, raw: outcome.raw };
  const json: Record<string, unknown> = { result: outcome.result };
  if (outcome.next !== undefined) json.next = outcome.next;
  if (outcome.total !== undefined) json.total = outcome.total;
  json.time = restTime(startMs, finishMs);
  return { status: 200, json };
}

function errorAnswer(error: unknown): Answer {
  // A bug in the emulator must be visible, not look like a portal answer the client could "handle".
  const restError =
    error instanceof RestError
      ? error
      : new RestError(500, 'INTERNAL_SERVER_ERROR', `emulator bug: ${(error as Error)?.stack ?? String(error)}`);
  return { status: restError.status, json: restError.body() };
}

function write(res: ServerResponse, record: RecordedRequest, answer: Answer): void {
  record.status = answer.status;
  if ('raw' in answer) {
    res.writeHead(answer.status, answer.raw.headers);
    res.end(answer.raw.body);
    return;
  }
  if (answer.status >= 400) record.error = asText(answer.json.error);
  sendJson(res, answer.status, answer.json);
}

/** A `timeout` fault: no answer for `timeoutHoldMs`, then the socket is dropped. */
function holdAndDrop(core: EmulatorCore, res: ServerResponse, record: RecordedRequest): void {
  record.status = 0;
  const timer = setTimeout(() => res.socket?.destroy(), core.settings.timeoutHoldMs);
  timer.unref();
  res.on('close', () => clearTimeout(timer));
}
