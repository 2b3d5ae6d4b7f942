/**
 * When the service checkpoints the sign log. At start: an old unkeyed log is upgraded (or, if broken, the
 * start fails: nothing could be appended to it, and a broken log must be loud) and a head not yet
 * checkpointed is checkpointed at once (so a new or upgraded log gets its first checkpoint right away). Then every tick (`min(everyMs, 30 s)`): a checkpoint
 * when the head is `everyEntries` entries past the last one, or `everyMs` after it and the head moved; and
 * the timestamps that failed are retried with back-off. At graceful shutdown: a last checkpoint if the head
 * moved. Every process of a deployment runs one; the store keeps one checkpoint per head.
 */

import type { SignLogConfig } from '../config.js';
import type { MasterKey } from '../crypto/master-key.js';
import { requestTimestamp } from '../crypto/tsa-client.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store-ports.js';
import {
  type CheckpointDeps,
  type CheckpointDue,
  makeSignLogCheckpoint,
  stampPendingCheckpoints,
} from './make-sign-log-checkpoint.js';

/** The longest pause between two checks of the head. */
const MAX_TICK_MS = 30_000;
/** Retries of failed timestamps back off from one tick up to this. */
const MAX_RETRY_MS = 30 * 60_000;

export interface CheckpointerOptions {
  store: Store;
  masterKey: MasterKey;
  logger: Logger;
  config: SignLogConfig;
  /** @default requestTimestamp(config.tsaUrl, data) when a TSA is configured */
  timestamp?: (data: Buffer) => Promise<Buffer>;
  /** @default min(config.checkpointEveryMs, 30 s) */
  tickMs?: number;
  now?: () => Date;
}

export interface SignLogCheckpointer {
  /** Upgrades an old log, checkpoints an unchecked head, starts the timer. @throws AppError SIGN_LOG_BROKEN */
  start(): Promise<void>;
  /** One tick now: a checkpoint if due, then pending timestamps (what the timer runs). */
  tick(): Promise<void>;
  /** Stops the timer and checkpoints a head that moved (graceful shutdown; before the store closes). */
  close(): Promise<void>;
}

/**
 * Makes the log appendable: a log whose last entry has no MAC (the old format) is upgraded. Returns how many
 * entries got a MAC. A keyed log with a problem further back is left to verification: it stays appendable.
 * @throws AppError SIGN_LOG_BROKEN when the log cannot be upgraded (broken, or its MACs were removed).
 */
export async function prepareSignLog(store: Store): Promise<number> {
  const head = await store.signLog.head();
  if (!head || head.mac !== undefined) return 0;
  return (await store.signLog.upgrade()).upgraded;
}

export function createSignLogCheckpointer(options: CheckpointerOptions): SignLogCheckpointer {
  const { store, logger, config } = options;
  const now = options.now ?? (() => new Date());
  const tsaUrl = config.tsaUrl;
  const timestamp = options.timestamp ?? (tsaUrl ? (data: Buffer) => requestTimestamp(tsaUrl, data) : undefined);
  const deps: CheckpointDeps = { store, masterKey: options.masterKey, now, ...(timestamp ? { timestamp } : {}) };
  const tickMs = options.tickMs ?? Math.min(config.checkpointEveryMs, MAX_TICK_MS);
  const due: CheckpointDue = (head, last, at) =>
    !last ||
    head.seq - last.seq >= config.checkpointEveryEntries ||
    at.getTime() - last.time.getTime() >= config.checkpointEveryMs;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let retryAt = 0;
  let retryDelay = tickMs;

  async function checkpoint(when: CheckpointDue): Promise<void> {
    try {
      const outcome = await makeSignLogCheckpoint(deps, when);
      if (!('made' in outcome)) return;
      const { number, seq } = outcome.made;
      logger.info(
        { checkpoint: number, seq, timestamped: outcome.made.timestamp !== undefined },
        'sign log checkpoint made',
      );
      if (outcome.timestampError) {
        logger.warn(
          { checkpoint: number, error: outcome.timestampError },
          'sign log checkpoint stored without a timestamp; will retry',
        );
      }
    } catch (error) {
      logger.error({ error }, 'sign log checkpoint failed');
    }
  }

  async function retryTimestamps(): Promise<void> {
    if (!timestamp || now().getTime() < retryAt) return;
    try {
      const { stamped, error } = await stampPendingCheckpoints(deps);
      if (stamped > 0) logger.info({ stamped }, 'sign log checkpoints timestamped');
      if (!error) {
        retryDelay = tickMs;
        return;
      }
      retryAt = now().getTime() + retryDelay;
      logger.warn({ error, retryInMs: retryDelay }, 'sign log checkpoint timestamp failed; will retry');
      retryDelay = Math.min(retryDelay * 2, MAX_RETRY_MS);
    } catch (error) {
      logger.error({ error }, 'sign log checkpoint timestamps failed');
    }
  }

  /** Runs `fn` after whatever runs now, so ticks and the final checkpoint never overlap. */
  const serial = (fn: () => Promise<void>): Promise<void> => {
    running = running.then(fn);
    return running;
  };

  const tick = () =>
    serial(async () => {
      await checkpoint(due);
      await retryTimestamps();
    });

  return {
    async start() {
      const upgraded = await prepareSignLog(store);
      if (upgraded > 0) {
        logger.warn({ entries: upgraded }, 'sign log upgraded: MACs added to the entries of the old unkeyed format');
      }
      await serial(async () => {
        await checkpoint(() => true);
        await retryTimestamps();
      });
      timer = setInterval(() => void tick(), tickMs);
      timer.unref();
    },
    tick,
    async close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await serial(() => checkpoint(() => true));
    },
  };
}
