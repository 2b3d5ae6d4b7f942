/**
 * Portal lookups shared by the notices of one sweep pass: the same person asked for by several notices at
 * once (a requester responsible for many deals, an outcome and an admin alert of one request) is read once
 * (deals are shared process-wide: shared/bitrix24/deal-reads.ts). The promise is kept, so concurrent askers share one call — which the call coalescer then puts
 * in the pass's `batch` with the other lookups. Entries live for a few seconds (a pass), failures not at all.
 */

export interface LookupCacheOptions {
  /** @default 10000 */
  ttlMs?: number;
  /** @default 2000 */
  maxEntries?: number;
  now?: () => number;
}

/** A short-lived promise cache keyed by text. */
export class LookupCache {
  readonly #entries = new Map<string, { at: number; value: Promise<unknown> }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: LookupCacheOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 10_000;
    this.#maxEntries = options.maxEntries ?? 2000;
    this.#now = options.now ?? Date.now;
  }

  /** The cached value of `key`, or `load()`'s (kept while fresh, dropped if it fails). */
  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    const now = this.#now();
    const hit = this.#entries.get(key);
    if (hit && now - hit.at < this.#ttlMs) return hit.value as Promise<T>;
    if (this.#entries.size >= this.#maxEntries) {
      for (const [k, entry] of this.#entries) if (now - entry.at >= this.#ttlMs) this.#entries.delete(k);
      if (this.#entries.size >= this.#maxEntries) this.#entries.clear();
    }
    const value = load();
    this.#entries.set(key, { at: now, value });
    value.catch(() => {
      if (this.#entries.get(key)?.value === value) this.#entries.delete(key);
    });
    return value;
  }
}
