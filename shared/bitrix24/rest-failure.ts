/**
 * What went wrong with one REST call, in the terms the client acts on (reference §1.6), and the AppError
 * each failure finally becomes. The split that matters is whether the method may have run:
 *
 * - not run, safe to repeat for any method: `expired_token`/`invalid_token` (refresh, then repeat),
 *   `QUERY_LIMIT_EXCEEDED` and `OPERATION_TIME_LIMIT` (back off, repeat), `OVERLOAD_LIMIT`, and a connection
 *   that never opened (refused, DNS);
 * - maybe run (`lost`): a timeout, a connection dropped after the request went out, a 5xx. Only reads are
 *   repeated; a write becomes B24_OUTCOME_UNKNOWN (reference §9: lost calls are not retried blindly);
 * - refused for good: other 401s (B24_AUTH_FAILED), 403s (B24_ACCESS_DENIED), other 4xx and errors in a
 *   200 answer (B24_METHOD_FAILED).
 */
import { AppError, ErrorCode } from '../errors.js';

export type RestFailure =
  | { kind: 'expired-token'; code: string }
  | { kind: 'rate-limited'; code: string }
  | { kind: 'operation-limit'; code: string; resetAtMs: number | undefined }
  | { kind: 'not-run'; reason: string }
  | { kind: 'lost'; reason: string }
  | { kind: 'auth-failed'; code: string; description: string }
  | { kind: 'denied'; code: string; description: string }
  | { kind: 'rejected'; code: string; description: string; status: number };

const DENIED = new Set([
  'ACCESS_DENIED',
  'INSUFFICIENT_SCOPE',
  'INVALID_CREDENTIALS',
  'USER_ACCESS_ERROR',
  'WRONG_AUTH_TYPE',
  'PAYMENT_REQUIRED',
]);
/** Connection errors raised before a byte of the request reached the server. */
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Bitrix24's error text, cut short (it is shown to people and logged). */
function short(text: unknown): string {
  return typeof text === 'string' ? text.slice(0, 300) : '';
}

/** Classifies an HTTP answer; undefined when it is a success (`result` present, no `error`). */
export function classifyAnswer(status: number, body: unknown): RestFailure | undefined {
  const record = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : undefined;
  const code = record?.error === undefined ? '' : String(record.error);
  const description = short(record?.error_description);
  if (status >= 200 && status < 300 && record && code === '' && 'result' in record) return undefined;
  const upper = code.toUpperCase();
  if (status === 401 && (code === 'expired_token' || code === 'invalid_token')) return { kind: 'expired-token', code };
  if (upper === 'QUERY_LIMIT_EXCEEDED') return { kind: 'rate-limited', code };
  if (upper === 'OPERATION_TIME_LIMIT') {
    const time = record?.time as { operating_reset_at?: unknown } | undefined;
    const reset = Number(time?.operating_reset_at);
    return { kind: 'operation-limit', code, resetAtMs: Number.isFinite(reset) && reset > 0 ? reset * 1000 : undefined };
  }
  if (upper === 'OVERLOAD_LIMIT') return { kind: 'not-run', reason: `${code}: ${description}` };
  if (upper === 'PORTAL_DELETED' || status === 401)
    return { kind: 'auth-failed', code: code || String(status), description };
  if (status === 403 || DENIED.has(upper)) return { kind: 'denied', code: code || '403', description };
  if (status >= 500 || !record) return { kind: 'lost', reason: `HTTP ${status}${code ? ` ${code}` : ''}` };
  return { kind: 'rejected', code: code || String(status), description, status };
}

/** Classifies a thrown fetch error (or an aborted read of the body). */
export function classifyNetworkError(error: unknown): RestFailure {
  const e = error as { name?: string; code?: string; cause?: { code?: string; name?: string } };
  if (e?.name === 'TimeoutError' || e?.cause?.name === 'TimeoutError') return { kind: 'lost', reason: 'timed out' };
  const code = e?.cause?.code ?? e?.code ?? '';
  if (NOT_SENT.has(code)) return { kind: 'not-run', reason: `cannot connect (${code})` };
  return { kind: 'lost', reason: code ? `connection failed (${code})` : 'connection failed' };
}

/** Where the failure happened, for the message and details. */
export interface CallSite {
  memberId: string;
  method: string;
  /** Reads may be repeated; writes whose answer was lost are reported as B24_OUTCOME_UNKNOWN. */
  idempotent: boolean;
}

/** The AppError a failure ends as, once the client has stopped retrying. */
export function failureToError(failure: RestFailure, site: CallSite): AppError {
  const where = `Bitrix24 portal ${site.memberId}, ${site.method}`;
  const details: Record<string, unknown> = { memberId: site.memberId, method: site.method };
  switch (failure.kind) {
    case 'expired-token':
    case 'auth-failed':
      return new AppError(
        ErrorCode.B24_AUTH_FAILED,
        `${where}: the portal refused the app's token (${failure.code}${'description' in failure && failure.description ? `: ${failure.description}` : ''}); an administrator has to reinstall or reopen the app`,
        { details: { ...details, b24Error: failure.code } },
      );
    case 'denied':
      return new AppError(
        ErrorCode.B24_ACCESS_DENIED,
        `${where}: access denied (${failure.code}: ${failure.description})`,
        {
          details: { ...details, b24Error: failure.code },
        },
      );
    case 'rate-limited':
    case 'operation-limit':
      return new AppError(
        ErrorCode.B24_RATE_LIMITED,
        `${where}: still over the portal's limit (${failure.code}) after backing off`,
        {
          details: { ...details, b24Error: failure.code },
        },
      );
    case 'not-run':
      return new AppError(ErrorCode.B24_UNAVAILABLE, `${where}: the portal is unavailable (${failure.reason})`, {
        details,
      });
    case 'lost':
      return site.idempotent
        ? new AppError(ErrorCode.B24_UNAVAILABLE, `${where}: no usable answer (${failure.reason})`, { details })
        : new AppError(
            ErrorCode.B24_OUTCOME_UNKNOWN,
            `${where}: the call was sent but its answer was lost (${failure.reason}); it may have taken effect, so it was not repeated`,
            { details },
          );
    case 'rejected':
      return new AppError(
        ErrorCode.B24_METHOD_FAILED,
        `${where}: ${failure.code} (${failure.description || `HTTP ${failure.status}`})`,
        {
          details: { ...details, b24Error: failure.code, status: failure.status },
        },
      );
  }
}
