/**
 * The one error class of SignService. Every guard throws `AppError` with a code from `ErrorCode`;
 * `errorOutcome()` is the single table that maps a code to an HTTP status, a CLI exit code and a
 * queue outcome (retry vs. park). Messages are written for the person who can act on them.
 */
export const ErrorCode = {
  /** Command-line or API arguments are missing or inconsistent. */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** A file could not be read or written (missing, permission, disk full). */
  FILE_IO: 'FILE_IO',
  /** The input is empty. */
  PDF_EMPTY: 'PDF_EMPTY',
  /** The input does not start with a %PDF- header. */
  PDF_NOT_PDF: 'PDF_NOT_PDF',
  /** The cross-reference data is missing or inconsistent (truncated file, wrong startxref). */
  PDF_DAMAGED: 'PDF_DAMAGED',
  /** The PDF uses encryption; new objects would have to be encrypted with the document key. */
  PDF_ENCRYPTED: 'PDF_ENCRYPTED',
  /** A structure we need (catalog, page tree, page) is malformed. */
  PDF_MALFORMED: 'PDF_MALFORMED',
  /** The requested page does not exist. */
  PDF_PAGE_OUT_OF_RANGE: 'PDF_PAGE_OUT_OF_RANGE',
  /** An existing signature in the input does not verify; signing would endorse a tampered file. */
  PDF_EXISTING_SIGNATURE_INVALID: 'PDF_EXISTING_SIGNATURE_INVALID',
  /** The CMS did not fit into the reserved /Contents placeholder. */
  PDF_PLACEHOLDER_TOO_SMALL: 'PDF_PLACEHOLDER_TOO_SMALL',
  /** The PDF carries no signature (verify). */
  PDF_NOT_SIGNED: 'PDF_NOT_SIGNED',
  /** The PKCS#12 password is wrong. */
  KEY_BAD_PASSWORD: 'KEY_BAD_PASSWORD',
  /** Key or certificate material cannot be parsed or does not match. */
  KEY_INVALID: 'KEY_INVALID',
  /** The key type is not supported (we sign with RSA and ECDSA P-256). */
  KEY_UNSUPPORTED: 'KEY_UNSUPPORTED',
  /** The signing certificate is expired at signing time. */
  CERT_EXPIRED: 'CERT_EXPIRED',
  /** The signing certificate is not yet valid at signing time. */
  CERT_NOT_YET_VALID: 'CERT_NOT_YET_VALID',
  /** The signing certificate is revoked. */
  CERT_REVOKED: 'CERT_REVOKED',
  /** The signing certificate is unknown (e.g. no inventory entry or CA record with that id or serial). */
  CERT_UNKNOWN: 'CERT_UNKNOWN',
  /** The private key of an internal-CA certificate is not in the CA store. */
  CERT_KEY_MISSING: 'CERT_KEY_MISSING',
  /** The internal CA has no root yet (`signservice ca init`). */
  CA_NOT_INITIALIZED: 'CA_NOT_INITIALIZED',
  /** `ca init` on a data directory that already has a root; replacing it would orphan every issued certificate. */
  CA_ALREADY_INITIALIZED: 'CA_ALREADY_INITIALIZED',
  /**
   * The master key is missing, malformed, or not the one that encrypted the stored keys (key id mismatch or
   * failed AES-GCM authentication). Never retried: an operator has to supply the right key.
   */
  MASTER_KEY_INVALID: 'MASTER_KEY_INVALID',
  /** The stamp image cannot be used (format, size). */
  IMAGE_UNSUPPORTED: 'IMAGE_UNSUPPORTED',
  /** The timestamp authority could not be reached or answered with an error (transient). */
  TSA_UNAVAILABLE: 'TSA_UNAVAILABLE',
  /** The timestamp authority's answer does not match the request. */
  TSA_BAD_RESPONSE: 'TSA_BAD_RESPONSE',
  /**
   * Revocation data (a CRL or an OCSP response) for a certificate could not be obtained from the sources its
   * certificate names, or they answered with something unusable; B-LT cannot be made without it (transient).
   */
  REVOCATION_UNAVAILABLE: 'REVOCATION_UNAVAILABLE',
  /** PKCS#11 module cannot be loaded. */
  TOKEN_MODULE: 'TOKEN_MODULE',
  /** The configured token is not present. */
  TOKEN_ABSENT: 'TOKEN_ABSENT',
  /** The token PIN was rejected; never retried automatically (a token locks after a few wrong PINs). */
  TOKEN_PIN_INCORRECT: 'TOKEN_PIN_INCORRECT',
  /** The token PIN is locked. */
  TOKEN_PIN_LOCKED: 'TOKEN_PIN_LOCKED',
  /** A certificate has no matching private key. */
  TOKEN_KEY_MISSING: 'TOKEN_KEY_MISSING',
  /** A token operation failed (transient, e.g. device removed). */
  TOKEN_FAILURE: 'TOKEN_FAILURE',
  /** The configuration (environment, files) is invalid; the service refuses to start. */
  CONFIG_INVALID: 'CONFIG_INVALID',
  /** An account with this login exists already. */
  ACCOUNT_EXISTS: 'ACCOUNT_EXISTS',
  /** No such account. */
  ACCOUNT_NOT_FOUND: 'ACCOUNT_NOT_FOUND',
  /** The account is disabled by the administrator. */
  ACCOUNT_DISABLED: 'ACCOUNT_DISABLED',
  /** The account has not enrolled an authenticator yet. */
  OTP_NOT_ENROLLED: 'OTP_NOT_ENROLLED',
  /** The one-time code is wrong (the person may try again). */
  OTP_INVALID: 'OTP_INVALID',
  /** The one-time code was already used (RFC 6238 §5.2). */
  OTP_REPLAYED: 'OTP_REPLAYED',
  /** Too many wrong codes: the account is locked until a time or an administrator unlocks it. */
  OTP_LOCKED: 'OTP_LOCKED',
  /** The enrollment link is unknown. */
  ENROLLMENT_LINK_INVALID: 'ENROLLMENT_LINK_INVALID',
  /** The enrollment link is older than its validity (one hour). */
  ENROLLMENT_LINK_EXPIRED: 'ENROLLMENT_LINK_EXPIRED',
  /** The enrollment link was used already (single use). */
  ENROLLMENT_LINK_USED: 'ENROLLMENT_LINK_USED',
  /** A newer enrollment link (or an authenticator reset) ended this one before its time. */
  ENROLLMENT_LINK_REPLACED: 'ENROLLMENT_LINK_REPLACED',
  /** The certificate is not granted to the account. */
  GRANT_MISSING: 'GRANT_MISSING',
  /** Mail could not be sent (transient). */
  MAIL_FAILED: 'MAIL_FAILED',
  /** The store cannot be reached (transient). */
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
  /**
   * The job queue cannot take the message: the broker is unreachable, or did not confirm the publish within
   * the timeout (transient; the message may or may not have been stored, so a retry may duplicate it, which
   * at-least-once consumers tolerate).
   */
  QUEUE_UNAVAILABLE: 'QUEUE_UNAVAILABLE',
  /**
   * Bitrix24 does not accept the app's credentials for a portal: no stored tokens (never installed, or
   * uninstalled), the refresh token was refused (`invalid_grant`: expired after 180 days or rotated by
   * someone else), the client id/secret are wrong (`invalid_client`), or a fresh token was refused again.
   * Never retried: the portal's administrator has to reinstall (or reopen) the app.
   */
  B24_AUTH_FAILED: 'B24_AUTH_FAILED',
  /**
   * Bitrix24 refused the call for lack of rights (`ACCESS_DENIED`, `insufficient_scope`, `WRONG_AUTH_TYPE`,
   * …). Permanent: on `bizproc.event.send` it means the event token is invalid or expired (reference §4.1).
   */
  B24_ACCESS_DENIED: 'B24_ACCESS_DENIED',
  /**
   * The portal kept answering `QUERY_LIMIT_EXCEEDED` or `OPERATION_TIME_LIMIT` after the client's back-off
   * and retries (transient: the call was not executed, so a later retry is safe).
   */
  B24_RATE_LIMITED: 'B24_RATE_LIMITED',
  /**
   * The portal or its OAuth server could not be reached or answered 5xx, and the call is known not to have
   * taken effect or is a read (transient).
   */
  B24_UNAVAILABLE: 'B24_UNAVAILABLE',
  /**
   * A call that changes data (`bizproc.event.send`, `crm.item.update`, …) was sent but its answer was lost
   * (timeout, reset connection, 5xx): it may or may not have taken effect. The client does not repeat it;
   * a retry of the job must first check what happened (read back) or rely on the step being idempotent.
   */
  B24_OUTCOME_UNKNOWN: 'B24_OUTCOME_UNKNOWN',
  /** Bitrix24 rejected the request itself (unknown method, bad argument, missing entity); its code is in details. */
  B24_METHOD_FAILED: 'B24_METHOD_FAILED',
  /** An inbound Bitrix24 request (install event, robot call, placement page) is malformed. */
  B24_INVALID_PAYLOAD: 'B24_INVALID_PAYLOAD',
  /** An inbound Bitrix24 request names an unknown portal or carries the wrong application_token. */
  B24_FORBIDDEN: 'B24_FORBIDDEN',
  /**
   * A robot call whose content the portal does not confirm when asked with the app's own tokens: no such
   * running workflow on that deal, no such deal, an event token the portal refuses, a signer who is not an
   * active user, a robot code that is not ours. Its application_token is visible to every portal user, so
   * such a call is a forgery (or stale); the request fails and only the administrator is told.
   */
  B24_CALL_UNCONFIRMED: 'B24_CALL_UNCONFIRMED',
  /** No sign request with this id (a job naming it is parked: retrying cannot make it appear). */
  SIGN_REQUEST_NOT_FOUND: 'SIGN_REQUEST_NOT_FOUND',
  /** The document is larger than the configured limit (SIGNSERVICE_MAX_PDF_MB). */
  DOCUMENT_TOO_LARGE: 'DOCUMENT_TOO_LARGE',
  /**
   * The document changed between the pipeline's fetch and a later retry of the signing step: signing the new
   * bytes would sign something the signer did not approve, so the request fails and has to be submitted again.
   */
  DOCUMENT_CHANGED: 'DOCUMENT_CHANGED',
  /** The document to sign is not where the request says (no PDF on the deal, the file or field is gone). */
  DOCUMENT_MISSING: 'DOCUMENT_MISSING',
  /** The sign request is not waiting for its signer any more (approved, rejected, expired or finished already). */
  SIGN_REQUEST_NOT_PENDING: 'SIGN_REQUEST_NOT_PENDING',
  /** The sign request's deadline passed before the signer approved it; the workflow is told "expired". */
  SIGN_REQUEST_EXPIRED: 'SIGN_REQUEST_EXPIRED',
  /** An operator's sign-in failed (login, password or one-time code; which one is not said). */
  ADMIN_SIGN_IN_FAILED: 'ADMIN_SIGN_IN_FAILED',
  /** Too many failed sign-ins: the operator login is locked for a while. */
  ADMIN_LOCKED: 'ADMIN_LOCKED',
  /** The admin API or panel was called without a valid session or API token (or it expired). */
  ADMIN_UNAUTHENTICATED: 'ADMIN_UNAUTHENTICATED',
  /** The caller is known but may not do this (scope, portal, role). */
  ADMIN_FORBIDDEN: 'ADMIN_FORBIDDEN',
  /**
   * The sign log does not verify (an entry, its MAC or a checkpoint was altered, removed or forged outside
   * SignService): nothing is built on top of it. Never retried; `signservice audit verify` names the entry.
   */
  SIGN_LOG_BROKEN: 'SIGN_LOG_BROKEN',
  /**
   * A state-changing call from a browser without proof that one of our own pages sent it: its Origin (or,
   * without one, its Referer) is not PUBLIC_BASE_URL's origin, or its CSRF token is missing or not the one
   * bound to the page's session or link. Nothing was changed.
   */
  CSRF_REJECTED: 'CSRF_REJECTED',
  /** Too many calls of this kind at once (per session or in total); `details.retryAfterSeconds` says when to retry. */
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
  /** The approval link's request was decided or expired: the link shows only its outcome, never the document. */
  APPROVAL_CLOSED: 'APPROVAL_CLOSED',
  /**
   * This worker no longer holds the job it was working on (its lease expired and another worker may have
   * taken it, or its broker channel closed): it stops, and the job is delivered again.
   */
  JOB_LEASE_LOST: 'JOB_LEASE_LOST',
  /**
   * The request's job was parked — it kept killing its worker (delivery limit) or its request could not be
   * finished — so nothing will work on it any more; `signservice queue parked` lists such jobs with the reason.
   */
  JOB_PARKED: 'JOB_PARKED',
  /**
   * The document was signed as many times as the queue allows attempts without the signature ever being
   * recorded (the blob store or the store kept failing right after signing): the request fails rather than
   * sign once more.
   */
  SIGN_ATTEMPTS_EXHAUSTED: 'SIGN_ATTEMPTS_EXHAUSTED',
  /**
   * A data file is damaged, or missing while the rest of the data directory shows it existed (a SQLite file
   * fails its integrity check; an empty store beside a CA, a master key or queued jobs). The service refuses
   * to start until the file is restored (`signservice restore`) or the directory is moved away on purpose.
   */
  DATA_DAMAGED: 'DATA_DAMAGED',
  /** A batch names more documents than BATCH_MAX_DOCUMENTS allows (or none): nothing was signed. */
  BATCH_TOO_LARGE: 'BATCH_TOO_LARGE',
  /**
   * A batch's documents are not the ones its confirmation step listed (one added, removed or forged), or the
   * confirmation is too old: the one-time code authorises exactly the listed documents, so nothing was signed.
   */
  BATCH_CHANGED: 'BATCH_CHANGED',
  /**
   * A CLI command found no data directory, or no store in it, where the configuration points (e.g. it was run
   * from another folder): only init-type commands (`signservice init`, `ca init`, `restore`, the service's
   * start) make new ones, so the others refuse, naming the directory they looked at and how to name another.
   */
  DATA_DIR_NOT_FOUND: 'DATA_DIR_NOT_FOUND',
  /**
   * A Bitrix24 route was called, but this service has no Bitrix24 app configured (B24_CLIENT_ID and
   * B24_CLIENT_SECRET are not set): the administrator has to set them; nothing was done.
   */
  B24_APP_NOT_CONFIGURED: 'B24_APP_NOT_CONFIGURED',
  /** Anything we did not foresee; details go to the log, not to the user. */
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface AppErrorOptions {
  /** Structured details for logs and JSON answers (never secrets). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details;
  }

  /** Wraps anything thrown into an AppError, keeping AppErrors as they are. */
  static from(error: unknown, code: ErrorCode = ErrorCode.INTERNAL): AppError {
    if (error instanceof AppError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new AppError(code, message, { cause: error });
  }
}

export interface ErrorOutcome {
  /** HTTP status for the activity app. */
  http: number;
  /** Exit code for the CLI. */
  exit: number;
  /** Whether a queued job failing with this code is worth retrying. */
  transient: boolean;
}

const OUTCOMES: Record<ErrorCode, ErrorOutcome> = {
  INVALID_ARGUMENT: { http: 400, exit: 64, transient: false },
  FILE_IO: { http: 500, exit: 74, transient: true },
  PDF_EMPTY: { http: 422, exit: 65, transient: false },
  PDF_NOT_PDF: { http: 422, exit: 65, transient: false },
  PDF_DAMAGED: { http: 422, exit: 65, transient: false },
  PDF_ENCRYPTED: { http: 422, exit: 65, transient: false },
  PDF_MALFORMED: { http: 422, exit: 65, transient: false },
  PDF_PAGE_OUT_OF_RANGE: { http: 422, exit: 65, transient: false },
  PDF_EXISTING_SIGNATURE_INVALID: { http: 422, exit: 65, transient: false },
  PDF_PLACEHOLDER_TOO_SMALL: { http: 500, exit: 70, transient: false },
  PDF_NOT_SIGNED: { http: 422, exit: 1, transient: false },
  KEY_BAD_PASSWORD: { http: 403, exit: 77, transient: false },
  KEY_INVALID: { http: 422, exit: 65, transient: false },
  KEY_UNSUPPORTED: { http: 422, exit: 65, transient: false },
  CERT_EXPIRED: { http: 422, exit: 65, transient: false },
  CERT_NOT_YET_VALID: { http: 422, exit: 65, transient: false },
  CERT_REVOKED: { http: 422, exit: 65, transient: false },
  CERT_UNKNOWN: { http: 404, exit: 65, transient: false },
  CERT_KEY_MISSING: { http: 422, exit: 65, transient: false },
  CA_NOT_INITIALIZED: { http: 409, exit: 78, transient: false },
  CA_ALREADY_INITIALIZED: { http: 409, exit: 73, transient: false },
  MASTER_KEY_INVALID: { http: 500, exit: 78, transient: false },
  IMAGE_UNSUPPORTED: { http: 422, exit: 65, transient: false },
  TSA_UNAVAILABLE: { http: 503, exit: 69, transient: true },
  TSA_BAD_RESPONSE: { http: 502, exit: 69, transient: false },
  REVOCATION_UNAVAILABLE: { http: 503, exit: 69, transient: true },
  TOKEN_MODULE: { http: 503, exit: 69, transient: false },
  TOKEN_ABSENT: { http: 503, exit: 69, transient: true },
  TOKEN_PIN_INCORRECT: { http: 503, exit: 77, transient: false },
  TOKEN_PIN_LOCKED: { http: 503, exit: 77, transient: false },
  TOKEN_KEY_MISSING: { http: 422, exit: 65, transient: false },
  TOKEN_FAILURE: { http: 503, exit: 69, transient: true },
  CONFIG_INVALID: { http: 500, exit: 78, transient: false },
  ACCOUNT_EXISTS: { http: 409, exit: 65, transient: false },
  ACCOUNT_NOT_FOUND: { http: 404, exit: 65, transient: false },
  ACCOUNT_DISABLED: { http: 403, exit: 77, transient: false },
  OTP_NOT_ENROLLED: { http: 403, exit: 77, transient: false },
  OTP_INVALID: { http: 401, exit: 77, transient: false },
  OTP_REPLAYED: { http: 401, exit: 77, transient: false },
  OTP_LOCKED: { http: 423, exit: 77, transient: false },
  ENROLLMENT_LINK_INVALID: { http: 404, exit: 65, transient: false },
  ENROLLMENT_LINK_EXPIRED: { http: 410, exit: 65, transient: false },
  ENROLLMENT_LINK_USED: { http: 410, exit: 65, transient: false },
  ENROLLMENT_LINK_REPLACED: { http: 410, exit: 65, transient: false },
  GRANT_MISSING: { http: 403, exit: 77, transient: false },
  MAIL_FAILED: { http: 502, exit: 69, transient: true },
  STORE_UNAVAILABLE: { http: 503, exit: 69, transient: true },
  QUEUE_UNAVAILABLE: { http: 503, exit: 69, transient: true },
  B24_AUTH_FAILED: { http: 502, exit: 77, transient: false },
  B24_ACCESS_DENIED: { http: 403, exit: 77, transient: false },
  B24_RATE_LIMITED: { http: 503, exit: 69, transient: true },
  B24_UNAVAILABLE: { http: 503, exit: 69, transient: true },
  B24_OUTCOME_UNKNOWN: { http: 504, exit: 69, transient: true },
  B24_METHOD_FAILED: { http: 502, exit: 65, transient: false },
  B24_INVALID_PAYLOAD: { http: 400, exit: 65, transient: false },
  B24_FORBIDDEN: { http: 403, exit: 77, transient: false },
  B24_CALL_UNCONFIRMED: { http: 403, exit: 77, transient: false },
  SIGN_REQUEST_NOT_FOUND: { http: 404, exit: 65, transient: false },
  DOCUMENT_TOO_LARGE: { http: 413, exit: 65, transient: false },
  DOCUMENT_CHANGED: { http: 409, exit: 65, transient: false },
  DOCUMENT_MISSING: { http: 404, exit: 66, transient: false },
  SIGN_REQUEST_NOT_PENDING: { http: 409, exit: 65, transient: false },
  SIGN_REQUEST_EXPIRED: { http: 410, exit: 65, transient: false },
  ADMIN_SIGN_IN_FAILED: { http: 401, exit: 77, transient: false },
  ADMIN_LOCKED: { http: 423, exit: 77, transient: false },
  ADMIN_UNAUTHENTICATED: { http: 401, exit: 77, transient: false },
  ADMIN_FORBIDDEN: { http: 403, exit: 77, transient: false },
  SIGN_LOG_BROKEN: { http: 500, exit: 1, transient: false },
  CSRF_REJECTED: { http: 403, exit: 77, transient: false },
  TOO_MANY_REQUESTS: { http: 429, exit: 75, transient: true },
  APPROVAL_CLOSED: { http: 410, exit: 65, transient: false },
  JOB_LEASE_LOST: { http: 503, exit: 75, transient: true },
  JOB_PARKED: { http: 500, exit: 70, transient: false },
  SIGN_ATTEMPTS_EXHAUSTED: { http: 500, exit: 74, transient: false },
  DATA_DAMAGED: { http: 503, exit: 74, transient: false },
  BATCH_TOO_LARGE: { http: 400, exit: 64, transient: false },
  BATCH_CHANGED: { http: 409, exit: 65, transient: false },
  DATA_DIR_NOT_FOUND: { http: 500, exit: 66, transient: false },
  B24_APP_NOT_CONFIGURED: { http: 503, exit: 78, transient: false },
  INTERNAL: { http: 500, exit: 70, transient: true },
};

/** The one place where an error becomes an HTTP status, an exit code or a queue decision. */
export function errorOutcome(error: unknown): ErrorOutcome {
  return OUTCOMES[error instanceof AppError ? error.code : ErrorCode.INTERNAL];
}
