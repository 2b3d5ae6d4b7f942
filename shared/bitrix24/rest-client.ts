/**
 * The Bitrix24 REST client (reference §1.4–1.8), one instance per process for all portals (`member_id`):
 * POSTs JSON to `client_endpoint + method` with the portal's access token in `auth`; on 401
 * `expired_token`/`invalid_token` takes fresh tokens from PortalSessions (one refresh across processes) and
 * repeats; paces each portal through a leaky bucket; backs off and repeats on `QUERY_LIMIT_EXCEEDED` and
 * `OPERATION_TIME_LIMIT` (the call did not run); repeats a read whose answer was lost but never a write
 * (rest-failure.ts says which failure is which). Tokens never reach a log line or an error message.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { MasterKey } from '../crypto/master-key.js';
import { AppError, ErrorCode } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import type { PortalRepository } from '../store/store-ports.js';
import {
  type BatchCommand,
  type BatchOptions,
  type BatchResult,
  batchEntries,
  batchIsRead,
  batchParams,
  readBatchResult,
} from './batch.js';
import { DEFAULT_ENDPOINT_POLICY, type EndpointPolicy } from './endpoint-policy.js';
import { DEFAULT_RATE_LIMIT, LeakyBucket, type RateLimit } from './leaky-bucket.js';
import { type PortalSession, PortalSessions } from './portal-sessions.js';
import { isReadMethod } from './read-methods.js';
import {
  type DownloadedFile,
  getFile,
  type Outcome,
  type PeekedFile,
  peekFile,
  postMethod,
  type RestAnswer,
} from './rest-exchange.js';
import { failureToError, type RestFailure } from './rest-failure.js';

export interface Bitrix24ClientOptions {
  portals: PortalRepository;
  masterKey: MasterKey;
  /** The app's OAuth keys (config B24_CLIENT_ID / B24_CLIENT_SECRET). */
  app: { clientId: string; clientSecret: string };
  /** @default DEFAULT_ENDPOINT_POLICY (https only, Bitrix24's OAuth servers) */
  policy?: EndpointPolicy;
  logger?: Logger;
  /** Per portal. @default 2/s, burst 50 (Enterprise: 5/s, 250) */
  rateLimit?: RateLimit;
  /** One request's time limit (Bitrix24 cloud allows a request 60 s). @default 30000 ms */
  timeoutMs?: number;
  /** Tries of one call across limits, unreachable portals and lost reads. @default 5 */
  maxAttempts?: number;
  /** Exponential back-off between tries, with jitter. @default { baseMs: 1000, maxMs: 30000 } */
  backoff?: { baseMs: number; maxMs: number };
  /** Refresh lease lifetime. @default 30000 ms */
  lockTtlMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface CallOptions {
  /** May the call be repeated when its answer is lost? @default true for reads (read-methods.ts), else false */
  idempotent?: boolean;
  /** @default the client's timeoutMs */
  timeoutMs?: number;
}

export type { RestAnswer } from './rest-exchange.js';

const METHOD_NAME = /^[A-Za-z][A-Za-z0-9_.]{0,127}$/;
const MAX_REFRESHES_PER_CALL = 2;

/** The client. Keep one per process: the buckets and token caches live in it. */
export class Bitrix24Client {
  readonly #sessions: PortalSessions;
  readonly #bucket: LeakyBucket;
  readonly #blocked = new Map<string, number>();
  readonly #o: Required<
    Pick<
      Bitrix24ClientOptions,
      'timeoutMs' | 'maxAttempts' | 'backoff' | 'policy' | 'logger' | 'now' | 'sleep' | 'fetch'
    >
  >;

  constructor(options: Bitrix24ClientOptions) {
    this.#o = {
      timeoutMs: options.timeoutMs ?? 30_000,
      maxAttempts: options.maxAttempts ?? 5,
      backoff: options.backoff ?? { baseMs: 1000, maxMs: 30_000 },
      policy: options.policy ?? DEFAULT_ENDPOINT_POLICY,
      logger: options.logger ?? silentLogger,
      now: options.now ?? Date.now,
      sleep: options.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
      fetch: options.fetch ?? fetch,
    };
    this.#bucket = new LeakyBucket(options.rateLimit ?? DEFAULT_RATE_LIMIT, this.#o.now);
    this.#sessions = new PortalSessions({
      portals: options.portals,
      masterKey: options.masterKey,
      app: options.app,
      policy: this.#o.policy,
      logger: this.#o.logger,
      owner: `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      fetch: this.#o.fetch,
      now: this.#o.now,
      sleep: this.#o.sleep,
      ...(options.lockTtlMs ? { lockTtlMs: options.lockTtlMs } : {}),
    });
  }

  /**
   * Calls `method` on portal `memberId`.
   * @throws AppError B24_AUTH_FAILED, B24_ACCESS_DENIED, B24_RATE_LIMITED, B24_UNAVAILABLE,
   *   B24_OUTCOME_UNKNOWN (a write whose answer was lost), B24_METHOD_FAILED; INVALID_ARGUMENT for a bad name.
   */
  async call<T = unknown>(
    memberId: string,
    method: string,
    params: Record<string, unknown> = {},
    options: CallOptions = {},
  ): Promise<RestAnswer<T>> {
    if (!METHOD_NAME.test(method))
      throw new AppError(ErrorCode.INVALID_ARGUMENT, `'${method}' is not a Bitrix24 method name`);
    const idempotent = options.idempotent ?? isReadMethod(method);
    const timeoutMs = options.timeoutMs ?? this.#o.timeoutMs;
    return this.run({ memberId, method, idempotent }, (session) => this.post<T>(session, method, params, timeoutMs));
  }

  /**
   * Runs up to 50 commands in one `batch` request (reference §1.8).
   * @throws AppError INVALID_ARGUMENT (more than 50, nested batch), and for the first failed command
   *   (unless `allowErrors`) the error its code calls for, e.g. B24_ACCESS_DENIED.
   */
  async batch(
    memberId: string,
    commands: Record<string, BatchCommand> | BatchCommand[],
    options: BatchOptions = {},
  ): Promise<BatchResult> {
    const entries = batchEntries(commands);
    const answer = await this.call(memberId, 'batch', batchParams(entries, options.halt ?? false), {
      idempotent: batchIsRead(entries),
    });
    return readBatchResult(answer.result, entries, { memberId, allowErrors: options.allowErrors ?? false });
  }

  /**
   * Downloads a file of the portal (crm `urlMachine`, `downloadUrl`, disk `DOWNLOAD_URL`); the URL must be on
   * the portal's own host. A URL with an `auth` parameter gets the current access token there.
   * @throws AppError B24_INVALID_PAYLOAD for a URL elsewhere, B24_METHOD_FAILED for a file over `maxBytes`.
   */
  async download(
    memberId: string,
    url: string,
    options: { maxBytes?: number; timeoutMs?: number } = {},
  ): Promise<Buffer> {
    return (await this.downloadFile(memberId, url, options)).bytes;
  }

  /** Like `download`, with the file name the portal sent (`Content-Disposition`), when it sent one. */
  async downloadFile(
    memberId: string,
    url: string,
    options: { maxBytes?: number; timeoutMs?: number } = {},
  ): Promise<DownloadedFile> {
    const maxBytes = options.maxBytes ?? 100 * 1024 * 1024;
    const timeoutMs = options.timeoutMs ?? this.#o.timeoutMs;
    return this.run({ memberId, method: 'file download', idempotent: true }, (session) =>
      getFile(this.#o.fetch, session, url, { maxBytes, timeoutMs, policy: this.#o.policy }),
    );
  }

  /** The first `bytes` of a file of the portal and its name, without downloading the rest (`download`'s rules). */
  async peekFile(memberId: string, url: string, bytes = 1024): Promise<PeekedFile> {
    const timeoutMs = this.#o.timeoutMs;
    return this.run({ memberId, method: 'file download', idempotent: true }, (session) =>
      peekFile(this.#o.fetch, session, url, { bytes, timeoutMs, policy: this.#o.policy }),
    );
  }

  /** Drops the cached tokens of `memberId` (after an install event rewrote them). */
  forget(memberId: string): void {
    this.#sessions.forget(memberId);
  }

  /** The retry loop shared by calls and downloads. */
  private async run<T>(
    site: { memberId: string; method: string; idempotent: boolean },
    send: (s: PortalSession) => Promise<Outcome<T>>,
  ): Promise<T> {
    let session = await this.#sessions.current(site.memberId);
    let refreshes = 0;
    for (let attempt = 1; ; ) {
      await this.waitForSlot(site.memberId, site.method);
      const outcome = await send(session);
      if (outcome.ok) return outcome.value;
      const failure = outcome.failure;
      if (failure.kind === 'expired-token' && refreshes < MAX_REFRESHES_PER_CALL) {
        refreshes++;
        this.#o.logger.info(
          { memberId: site.memberId, method: site.method },
          'bitrix24 access token refused; taking fresh tokens',
        );
        session = await this.#sessions.refreshAfter(session);
        continue;
      }
      const repeatable =
        failure.kind === 'rate-limited' ||
        failure.kind === 'operation-limit' ||
        failure.kind === 'not-run' ||
        (failure.kind === 'lost' && site.idempotent);
      if (!repeatable || attempt >= this.#o.maxAttempts) throw failureToError(failure, site);
      const delayMs = this.delayAfter(failure, attempt, site.memberId, site.method);
      this.#o.logger.warn(
        { memberId: site.memberId, method: site.method, attempt, failure: failure.kind, delayMs },
        'bitrix24 call will be repeated',
      );
      attempt++;
      await this.#o.sleep(delayMs);
    }
  }

  private async post<T>(session: PortalSession, method: string, params: Record<string, unknown>, timeoutMs: number) {
    const started = this.#o.now();
    const outcome = await postMethod<T>(this.#o.fetch, session, method, params, timeoutMs);
    const ms = this.#o.now() - started;
    this.#o.logger.debug({ memberId: session.memberId, method, status: outcome.status ?? 0, ms }, 'bitrix24 call');
    return outcome;
  }

  /** Waits for the portal's bucket and for a method blocked by OPERATION_TIME_LIMIT. */
  private async waitForSlot(memberId: string, method: string): Promise<void> {
    const key = `${memberId} ${method}`;
    const blockedFor = (this.#blocked.get(key) ?? 0) - this.#o.now();
    if (blockedFor > 0) await this.#o.sleep(Math.min(blockedFor, this.#o.backoff.maxMs));
    else this.#blocked.delete(key);
    const wait = this.#bucket.reserve(memberId);
    if (wait > 0) await this.#o.sleep(wait);
  }

  private delayAfter(failure: RestFailure, attempt: number, memberId: string, method: string): number {
    const { baseMs, maxMs } = this.#o.backoff;
    const exponential = Math.min(maxMs, baseMs * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5);
    if (failure.kind === 'rate-limited') this.#bucket.penalize(memberId);
    if (failure.kind === 'operation-limit') {
      // The limit is per method (reference §1.7): hold this method back for this portal, not the others.
      const until = failure.resetAtMs ?? this.#o.now() + exponential;
      this.#blocked.set(`${memberId} ${method}`, until);
      return Math.min(maxMs, Math.max(0, until - this.#o.now()));
    }
    return exponential;
  }
}

/** Creates the process's client. */
export function createBitrix24Client(options: Bitrix24ClientOptions): Bitrix24Client {
  return new Bitrix24Client(options);
}
