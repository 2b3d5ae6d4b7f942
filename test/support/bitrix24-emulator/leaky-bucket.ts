/**
 * The Bitrix24 request-intensity limit: a leaky bucket per portal (and source IP; everything here comes
 * from 127.0.0.1, so per portal). Non-Enterprise plans block above 50 queued requests, draining 2 per second;
 * Enterprise 250 and 5/s. Over the limit the portal answers `503 QUERY_LIMIT_EXCEEDED` [bitrix24.md §1.7,
 * doc `settings/performance/limits.md`].
 */

/** Bucket size and drain rate. */
export interface RateLimit {
  /** Requests the bucket holds before it blocks. @default 50 */
  burst: number;
  /** Requests drained per second. @default 2 */
  drainPerSecond: number;
}

/** The non-Enterprise limit. */
export const DEFAULT_RATE_LIMIT: RateLimit = Object.freeze({ burst: 50, drainPerSecond: 2 });

/** One portal's bucket. A refused request does not enter the bucket (it was not served). */
export class LeakyBucket {
  #level = 0;
  #lastMs: number | undefined;

  constructor(readonly limit: RateLimit) {}

  /** Lets one request in at `atMs` if the bucket has room; false means answer 503. */
  tryTake(atMs: number): boolean {
    const level = this.level(atMs);
    this.#lastMs = atMs;
    if (level + 1 > this.limit.burst) {
      this.#level = level;
      return false;
    }
    this.#level = level + 1;
    return true;
  }

  /** The fill level at `atMs` after draining. */
  level(atMs: number): number {
    if (this.#lastMs === undefined) return this.#level;
    const drained = (Math.max(0, atMs - this.#lastMs) / 1000) * this.limit.drainPerSecond;
    return Math.max(0, this.#level - drained);
  }

  /** Empties the bucket (tests that want a fresh allowance). */
  reset(): void {
    this.#level = 0;
    this.#lastMs = undefined;
  }
}

/**
 * Replays request times (ms) through an unbounded leaky bucket and returns the highest fill level reached.
 * A client that never sent more than `burst` requests ahead of a `drainPerSecond` pace has a peak ≤ burst;
 * tests assert exactly that on `emulator.requests()`.
 */
export function leakyBucketPeak(timesMs: readonly number[], drainPerSecond: number): number {
  let level = 0;
  let peak = 0;
  let last: number | undefined;
  for (const at of [...timesMs].sort((a, b) => a - b)) {
    if (last !== undefined) level = Math.max(0, level - ((at - last) / 1000) * drainPerSecond);
    last = at;
    level += 1;
    peak = Math.max(peak, level);
  }
  return peak;
}
