/**
 * Small REST calls to one portal, coalesced into `batch` requests (reference §1.8: up to 50 commands, one
 * request for the portal's leaky bucket, §1.7). A portal allows 2 requests a second; a robot request needs a
 * dozen small calls (confirm the call, read the deal, log lines, notices, the deal update, a timeline comment,
 * finish the step), so under load many requests' calls travel together and the budget goes to what cannot be
 * batched: file downloads (raw answers, not JSON). Per portal one batch is in flight at a time; calls arriving
 * meanwhile wait for the next one, so batches grow exactly when the portal is the bottleneck. A batch also
 * carries file uploads (`crm.item.update` with a base64 file is an ordinary method; Bitrix24 refuses only the
 * `download`/`upload` pseudo-methods and nested batches there) up to `maxBatchBytes` of commands.
 *
 * Each caller gets its own command's result or error. When a whole batch is lost (a timeout, a dropped
 * connection, a 5xx: it may have run), each command is settled as it would be had it travelled alone: a
 * batch of repeatable calls only is repeated by the client; in a mixed batch the repeatable calls go into
 * the next batch again and every other caller gets B24_OUTCOME_UNKNOWN and applies its own idempotency rule
 * (README "Idempotency of the writes").
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, ErrorCode } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { MAX_BATCH_COMMANDS } from './batch.js';
import { buildQuery } from './build-query.js';
import { isReadMethod } from './read-methods.js';
import type { Bitrix24Client } from './rest-client.js';
import { classifyAnswer, failureToError } from './rest-failure.js';
import { repeatOnTokenRace } from './token-race.js';

interface Pending {
  method: string;
  params: Record<string, unknown>;
  /** `method?php-query`, as the command goes into a batch. */
  command: string;
  repeatable: boolean;
  /** Batches this call travelled in whose answer was lost. */
  lost: number;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

interface PortalQueue {
  pending: Pending[];
  running: boolean;
}

/** Below this many pending calls a busy portal's next batch waits `busyLingerMs` for more. */
const FILL_BEFORE_SENDING = 20;
/** Sends of a repeatable call whose batches kept being lost, as the client's attempts for a lost read. */
const MAX_LOST = 4;

export interface CallCoalescerOptions {
  /** How long the first call waits for others before its batch goes. @default 20 ms */
  lingerMs?: number;
  /** How long the next batch of a busy portal waits for more calls (two request slots of the 2/s budget). @default 1000 ms */
  busyLingerMs?: number;
  /** Largest sum of command lengths in one batch (the request body). @default 8 MiB */
  maxBatchBytes?: number;
  logger?: Logger;
}

/** The coalescer; keep one per process next to the client. */
export class CallCoalescer {
  readonly #queues = new Map<string, PortalQueue>();
  readonly #lingerMs: number;
  readonly #busyLingerMs: number;
  readonly #maxBatchBytes: number;
  readonly #logger: Logger;

  constructor(
    private readonly client: Bitrix24Client,
    options: CallCoalescerOptions = {},
  ) {
    this.#lingerMs = options.lingerMs ?? 20;
    this.#busyLingerMs = options.busyLingerMs ?? 1000;
    this.#maxBatchBytes = options.maxBatchBytes ?? 8 * 1024 * 1024;
    this.#logger = options.logger ?? silentLogger;
  }

  /**
   * Whether a file of `fileBytes` should travel inside a batch: its command (base64, then URL-encoded: about
   * 1.42 × the file) takes at most half a batch, so a batch still carries it with at least one more upload.
   */
  carriesFile(fileBytes: number): boolean {
    return fileBytes * 1.42 <= this.#maxBatchBytes / 2;
  }

  /**
   * Calls `method` on portal `memberId` inside the next batch and resolves with its `result`.
   * `repeatable`: the call may be sent again after a lost answer (@default: reads only).
   * @throws AppError as Bitrix24Client.call does, for this command.
   */
  call<T = unknown>(
    memberId: string,
    method: string,
    params: Record<string, unknown> = {},
    options: { repeatable?: boolean } = {},
  ): Promise<T> {
    const repeatable = options.repeatable ?? isReadMethod(method);
    const query = buildQuery(params);
    return new Promise<T>((resolve, reject) => {
      const queue = this.#queues.get(memberId) ?? { pending: [], running: false };
      this.#queues.set(memberId, queue);
      const command = query ? `${method}?${query}` : method;
      queue.pending.push({
        method,
        params,
        command,
        repeatable,
        lost: 0,
        resolve: resolve as (v: unknown) => void,
        reject,
      });
      if (!queue.running) {
        queue.running = true;
        setTimeout(() => void this.drain(memberId, queue), this.#lingerMs);
      }
    });
  }

  private async drain(memberId: string, queue: PortalQueue): Promise<void> {
    while (queue.pending.length > 0) {
      await this.send(memberId, queue, this.nextGroup(queue));
      // A busy portal: let a few more calls join the next batch rather than spend a request on one or two.
      if (queue.pending.length > 0 && queue.pending.length < FILL_BEFORE_SENDING) await sleep(this.#busyLingerMs);
    }
    queue.running = false;
    if (queue.pending.length === 0) this.#queues.delete(memberId);
  }

  /** Up to 50 pending calls, oldest first, whose commands together stay within `maxBatchBytes`. */
  private nextGroup(queue: PortalQueue): Pending[] {
    const group: Pending[] = [];
    const rest: Pending[] = [];
    let bytes = 0;
    for (const p of queue.pending) {
      const fits = group.length === 0 || bytes + p.command.length <= this.#maxBatchBytes;
      if (group.length < MAX_BATCH_COMMANDS && fits) {
        group.push(p);
        bytes += p.command.length;
      } else rest.push(p);
    }
    queue.pending.splice(0, queue.pending.length, ...rest);
    return group;
  }

  /** One request for `group`: a plain call for a single command, else a batch. */
  private async send(memberId: string, queue: PortalQueue, group: Pending[]): Promise<void> {
    // All repeatable: the client itself repeats the batch after a lost answer.
    const repeatable = group.every((p) => p.repeatable);
    if (group.length === 1) {
      const only = group[0] as Pending;
      try {
        const answer = await repeatOnTokenRace(() =>
          this.client.call(memberId, only.method, only.params, { idempotent: repeatable }),
        );
        only.resolve(answer.result);
      } catch (error) {
        only.reject(error);
      }
      return;
    }
    const cmd = Object.fromEntries(group.map((p, i) => [String(i), p.command]));
    let result: unknown;
    try {
      const params = { halt: 0, cmd };
      result = (await repeatOnTokenRace(() => this.client.call(memberId, 'batch', params, { idempotent: repeatable })))
        .result;
    } catch (error) {
      if (error instanceof AppError && error.code === ErrorCode.B24_OUTCOME_UNKNOWN)
        this.settleLost(memberId, queue, group, error);
      else for (const p of group) p.reject(error);
      return;
    }
    this.#logger.debug({ memberId, commands: group.length }, 'bitrix24 calls sent as one batch');
    const maps = toMap(result);
    const results = toMap(maps.result);
    const errors = toMap(maps.result_error);
    group.forEach((p, i) => {
      const key = String(i);
      if (key in errors) p.reject(commandError(errors[key], memberId, p));
      else if (key in results) p.resolve(results[key]);
      else p.reject(new AppError(ErrorCode.B24_METHOD_FAILED, `Bitrix24 batch answer has no result for ${p.method}`));
    });
  }

  /**
   * A mixed batch whose answer was lost: the repeatable calls go first into the next batch (a few times at
   * most), every other call fails as it would alone — B24_OUTCOME_UNKNOWN, naming its own method.
   */
  private settleLost(memberId: string, queue: PortalQueue, group: Pending[], error: AppError): void {
    const again: Pending[] = [];
    for (const p of group) {
      if (p.repeatable && p.lost + 1 < MAX_LOST) {
        p.lost++;
        again.push(p);
        continue;
      }
      const failure = { kind: 'lost' as const, reason: 'the batch it travelled in got no answer' };
      const lost = failureToError(failure, { memberId, method: p.method, idempotent: p.repeatable });
      p.reject(
        new AppError(lost.code, lost.message, { ...(lost.details ? { details: lost.details } : {}), cause: error }),
      );
    }
    this.#logger.warn(
      { memberId, commands: group.length, repeated: again.length },
      'bitrix24 batch answer lost; repeatable calls go again, the others are settled by their callers',
    );
    queue.pending.unshift(...again);
  }
}

/** PHP arrays in JSON: `[]` for empty maps and lists for 0..n-1 keys (reference §1.8). */
function toMap(value: unknown): Record<string, unknown> {
  if (Array.isArray(value)) return Object.fromEntries(value.map((v, i) => [String(i), v]));
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

/** The AppError of one failed command, as a direct call would have raised it. */
function commandError(raw: unknown, memberId: string, p: Pending): AppError {
  const e = toMap(raw);
  const body = { error: String(e.error ?? 'UNKNOWN'), error_description: String(e.error_description ?? '') };
  const failure = classifyAnswer(400, body) ?? {
    kind: 'rejected' as const,
    code: body.error,
    description: body.error_description,
    status: 400,
  };
  return failureToError(failure, { memberId, method: p.method, idempotent: p.repeatable });
}
