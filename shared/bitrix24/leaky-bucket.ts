/**
 * The client's side of Bitrix24's request limit (reference §1.7): per portal a leaky bucket that holds
 * `burst` requests and drains `perSecond` (2/s, burst 50; Enterprise 5/s, 250). Implemented as the
 * generic cell rate algorithm: each portal keeps a "theoretical arrival time"; a request may go when it is
 * at most `(burst - 2)` intervals ahead (one slot kept as headroom), and reserving moves it one interval on. Reservations are made in
 * call order, so concurrent callers queue fairly and never all wake at once. The bucket is per process:
 * several processes calling one portal share the portal's real bucket, which is why the client still backs
 * off on QUERY_LIMIT_EXCEEDED (and `penalize` then marks the bucket full).
 */

export interface RateLimit {
  /** Requests drained per second. @default 2 */
  perSecond: number;
  /** Requests the bucket holds before it blocks. @default 50 */
  burst: number;
}

export const DEFAULT_RATE_LIMIT: RateLimit = Object.freeze({ perSecond: 2, burst: 50 });

/** Per-key GCRA state (theoretical arrival time, ms). */
export class LeakyBucket {
  readonly #tat = new Map<string, number>();
  readonly #interval: number;
  readonly #tolerance: number;

  constructor(
    limit: RateLimit = DEFAULT_RATE_LIMIT,
    private readonly now: () => number = Date.now,
  ) {
    if (!(limit.perSecond > 0) || !(limit.burst >= 1))
      throw new RangeError('rate limit needs perSecond > 0 and burst >= 1');
    this.#interval = 1000 / limit.perSecond;
    // One slot of headroom (when the burst allows it): the portal counts arrivals, we count sends, and the
    // first request of a burst (a new connection) arrives later than the rest, so the portal's bucket can be
    // a fraction of a request fuller than ours.
    this.#tolerance = Math.max(0, Math.floor(limit.burst) - 2) * this.#interval;
  }

  /** Reserves the next slot of `key`; returns how many ms the caller must wait before sending. */
  reserve(key: string): number {
    const t = this.now();
    const tat = Math.max(this.#tat.get(key) ?? t, t);
    this.#tat.set(key, tat + this.#interval);
    if (this.#tat.size > 10_000) this.prune(t);
    return Math.max(0, tat - this.#tolerance - t);
  }

  /** The portal said its bucket is full: the next request waits one interval, later ones queue behind it. */
  penalize(key: string): void {
    const t = this.now();
    this.#tat.set(key, Math.max(this.#tat.get(key) ?? t, t + this.#tolerance + this.#interval));
  }

  /** Forgets keys whose bucket has drained. */
  private prune(t: number): void {
    for (const [key, tat] of this.#tat) if (tat <= t) this.#tat.delete(key);
  }
}
