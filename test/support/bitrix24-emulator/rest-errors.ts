/**
 * REST errors as Bitrix24 answers them: `{"error": CODE, "error_description": text}` with an HTTP status
 * [bitrix24.md §1.4, §1.6; b24restdocs `_includes/system-errors.md`]. Method handlers throw `RestError`;
 * the router writes it.
 */

/** One REST error answer. `extra` fields are merged into the body (e.g. `argument` of `ERROR_ARGUMENT`). */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(`${code}: ${description}`);
  }

  /** The JSON body Bitrix24 sends. */
  body(): Record<string, unknown> {
    return { error: this.code, error_description: this.description, ...this.extra };
  }
}

/**
 * The system errors this emulator produces. Descriptions are the docs' texts. Where the docs changed, the
 * status follows `reference/bitrix24.md` (e.g. `insufficient_scope` is 403 there; the newest docs say 401).
 */
export const restErrors = {
  /** 401: no `auth` parameter at all [doc system-errors: "Wrong authorization data"]. */
  noAuth: () => new RestError(401, 'NO_AUTH_FOUND', 'Wrong authorization data'),
  /** 401: the access token expired → refresh and retry [doc]. */
  expiredToken: () => new RestError(401, 'expired_token', 'The access token provided has expired'),
  /** 401: an unknown token; not in the docs tables, b24jssdk treats it like expired_token [src]. */
  invalidToken: () => new RestError(401, 'invalid_token', 'The access token provided is invalid'),
  /** 403 per the reference table (401 in the 2026 docs). */
  insufficientScope: () =>
    new RestError(
      403,
      'insufficient_scope',
      'The request requires higher privileges than provided by the access token',
    ),
  /** 403 generic denial ("Access denied!" for a non-admin, an invalid event token…). */
  accessDenied: (description = 'Access denied!') => new RestError(403, 'ACCESS_DENIED', description),
  /** 404 unknown method [doc]. */
  methodNotFound: () => new RestError(404, 'ERROR_METHOD_NOT_FOUND', 'Method not found!'),
  /** 503 leaky-bucket overflow [doc limits.md]. */
  queryLimit: () => new RestError(503, 'QUERY_LIMIT_EXCEEDED', 'Too many requests'),
  /** 429 per-method time budget exhausted [doc limits.md]. */
  operationTimeLimit: () => new RestError(429, 'OPERATION_TIME_LIMIT', 'Method is blocked due to operation time limit'),
  /** 500 server error [doc]. */
  internal: () => new RestError(500, 'INTERNAL_SERVER_ERROR', 'Internal server error'),
  /** 400 more than 50 commands in a batch [doc]. */
  batchTooLong: () => new RestError(400, 'ERROR_BATCH_LENGTH_EXCEEDED', 'Max batch length exceeded'),
  /** 405 batch inside batch [doc]. */
  batchMethodNotAllowed: () =>
    new RestError(405, 'ERROR_BATCH_METHOD_NOT_ALLOWED', 'Method is not allowed for batch usage'),
  /** 400 missing required argument, with the argument name [doc placement.bind]. */
  argument: (name: string) =>
    new RestError(400, 'ERROR_ARGUMENT', `Argument '${name}' is null or empty`, { argument: name }),
  /** 400 a CRM item that does not exist [doc crm.item.get]. */
  notFound: (description = 'Element not found') => new RestError(400, 'NOT_FOUND', description),
} as const;
