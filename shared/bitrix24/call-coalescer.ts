/**
 * Small REST calls to one portal, coalesced into `batch` requests (reference §1.8: up to 50 commands, one
 * request for the portal's leaky bucket, §1.7). A portal allows 2 requests a second; a robot request needs a
 * handful of small calls (read the deal, write a timeline comment, finish the step), so under load many
 * requests' calls travel together and the budget goes to what cannot be batched (file downloads and uploads,
 * §1.6 ERROR_BATCH_METHOD_NOT_ALLOWED). Per portal one batch is in flight at a time; calls arriving meanwhile
 * wait for the next one, so batches grow exactly when the portal is the bottleneck.
 *
 * Each caller gets its own command's result or error. When the whole batch is lost, every caller gets the
 * error the client raised for it: a batch of reads (or of calls their callers marked repeatable) is repeated by
 * the client; otherwise each caller sees B24_OUTCOME_UNKNOWN and decides per its own idempotency rule.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, ErrorCode } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { batchParams, MAX_BATCH_COMMANDS } from './batch.js';
import { isReadMethod } from './read-methods.js';
import type { Bitrix24Client } from './rest-client.js';
import { classifyAnswer, failureToError } from './rest-failure.js';
import { repeatOnTokenRace } from './token-race.js';

interface Pending {
  method: string;
  params: Record<string, unknown>;
  repeatable: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

interface PortalQueue {
  pending: Pending[];
  running: boolean;
}

/** Below this many pending calls a busy portal's next batch waits `busyLingerMs` for more. */
const FILL_BEFORE_SENDING = 20;

export interface CallCoalescerOptions {
  /** How long the first call waits for others before its batch goes. @default 20 ms */
  lingerMs?: number;
  /** How long the next batch of a busy portal waits for more calls (two request slots of the 2/s budget). @default 1000 ms */
  busyLingerMs?: number;
  logger?: Logger;
}

/** The coalescer; keep one per process next to the client. */
export class CallCoalescer {
  readonly #queues = new Map<string, PortalQueue>();
  readonly #lingerMs: number;
  readonly #busyLingerMs: number;
  readonly #logger: Logger;

  constructor(
    private readonly client: Bitrix24Client,
    options: CallCoalescerOptions = {},
  ) {
    this.#lingerMs = options.lingerMs ?? 20;
    this.#busyLingerMs = options.busyLingerMs ?? 1000;
    this.#logger = options.logger ?? silentLogger;
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
    return new Promise<T>((resolve, reject) => {
      const queue = this.#queues.get(memberId) ?? { pending: [], running: false };
      this.#queues.set(memberId, queue);
      queue.pending.push({ method, params, repeatable, resolve: resolve as (v: unknown) => void, reject });
      if (!queue.running) {
        queue.running = true;
        setTimeout(() => void this.drain(memberId, queue), this.#lingerMs);
      }
    });
  }

  private async drain(memberId: string, queue: PortalQueue): Promise<void> {
    while (queue.pending.length > 0) {
      await this.send(memberId, nextGroup(queue));
      // A busy portal: let a few more calls join the next batch rather than spend a request on one or two.
      if (queue.pending.length > 0 && queue.pending.length < FILL_BEFORE_SENDING) await sleep(this.#busyLingerMs);
    }
    queue.running = false;
    if (queue.pending.length === 0) this.#queues.delete(memberId);
  }

  /** One request for `group`: a plain call for a single command, else a batch. */
  private async send(memberId: string, group: Pending[]): Promise<void> {
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
    const entries = group.map((p, i): [string, { method: string; params: Record<string, unknown> }] => [
      String(i),
      { method: p.method, params: p.params },
    ]);
    let result: unknown;
    try {
      const params = batchParams(entries, false);
      result = (await repeatOnTokenRace(() => this.client.call(memberId, 'batch', params, { idempotent: repeatable })))
        .result;
    } catch (error) {
      for (const p of group) p.reject(error);
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
}

/**
 * Up to 50 pending calls that are all repeatable or all not, oldest first: one call that must not be repeated
 * would make a whole batch unrepeatable, and every other caller would then see a lost answer as
 * B24_OUTCOME_UNKNOWN instead of having it repeated by the client.
 */
function nextGroup(queue: PortalQueue): Pending[] {
  const repeatable = (queue.pending[0] as Pending).repeatable;
  const group: Pending[] = [];
  const rest: Pending[] = [];
  for (const p of queue.pending)
    (p.repeatable === repeatable && group.length < MAX_BATCH_COMMANDS ? group : rest).push(p);
  queue.pending.splice(0, queue.pending.length, ...rest);
  return group;
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
