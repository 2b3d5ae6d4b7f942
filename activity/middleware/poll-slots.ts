/**
 * Limits on long polls (the Sign dialog's and the approval page's status calls), which hold a request open
 * for up to ~20 s: at most `perKey` in flight per dialog session or approval link, and at most `total` in
 * the process. A poll over either limit is refused at once with TOO_MANY_REQUESTS (429 and `Retry-After`),
 * and the pages' scripts wait that long before asking again. A slot is given back when its poll answers,
 * fails or its client goes away — never held past the poll.
 */
import { AppError, ErrorCode } from '../../shared/errors.js';

export interface PollLimits {
  /** Polls in flight per session or link. */
  perKey: number;
  /** Polls in flight altogether. */
  total: number;
  /** What `Retry-After` says. @default 2 */
  retryAfterSeconds?: number;
}

export interface PollSlots {
  /** Takes a slot for `key`; call the returned function once to give it back. @throws AppError TOO_MANY_REQUESTS */
  acquire(key: string): () => void;
  /** Polls in flight now (for tests and metrics). */
  inFlight(): number;
}

/** Creates the counters (one set per process: the limits are per activity instance). */
export function pollSlots(limits: PollLimits): PollSlots {
  const byKey = new Map<string, number>();
  let total = 0;
  const retryAfterSeconds = limits.retryAfterSeconds ?? 2;
  const refuse = (what: string) =>
    new AppError(ErrorCode.TOO_MANY_REQUESTS, `Too many status requests ${what}; try again in ${retryAfterSeconds} s`, {
      details: { retryAfterSeconds },
    });
  return {
    acquire(key) {
      const mine = byKey.get(key) ?? 0;
      if (mine >= limits.perKey) throw refuse('from this page');
      if (total >= limits.total) throw refuse('at the moment');
      byKey.set(key, mine + 1);
      total += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        total -= 1;
        const left = (byKey.get(key) ?? 1) - 1;
        if (left > 0) byKey.set(key, left);
        else byKey.delete(key);
      };
    },
    inFlight: () => total,
  };
}
