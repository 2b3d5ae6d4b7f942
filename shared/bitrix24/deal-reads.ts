/**
 * Reads of CRM deals, shared: `crm.item.get {entityTypeId: 2, id, useOriginalUfNames: 'Y'}` (reference §6.1)
 * is what the robot-call confirmation, the notices, the fetch and the delivery's read-back all need, often
 * for the same deal at about the same time (several documents of one deal, a confirmation followed by the
 * signer's notice). Each reader says how old a read it accepts (`since`, a time): a read issued at or after
 * it — in flight or kept — is shared, otherwise a new one goes into the next batch. A read is kept for
 * `keepMs` and replaced by what the app itself last learned of the deal (`remember`: the answer of our own
 * `crm.item.update`). Readers that must see the portal as it is now (the delivery's read-back before a
 * write) pass `since` = now, and so only share a read that was not sent yet.
 *
 * The items are shared objects: readers must not change them.
 */
import { AppError, ErrorCode } from '../errors.js';
import type { CallCoalescer } from './call-coalescer.js';

/** The deal entity type of the universal CRM API. */
export const DEAL_ENTITY_TYPE_ID = 2;

/** A deal as read, and when the read was issued (unix ms; the portal answered it at that time or later). */
export interface DealRead {
  item: Record<string, unknown>;
  issuedAt: number;
}

export interface DealReadsOptions {
  /** How long a read is kept for readers that accept one that old. @default 60000 ms */
  keepMs?: number;
  /** @default 5000 */
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  issuedAt: number;
  value: Promise<DealRead>;
}

/** Shared deal reads; one per process, next to the call coalescer. */
export class DealReads {
  readonly #entries = new Map<string, Entry>();
  readonly #keepMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(
    private readonly calls: CallCoalescer,
    options: DealReadsOptions = {},
  ) {
    this.#keepMs = options.keepMs ?? 60_000;
    this.#maxEntries = options.maxEntries ?? 5000;
    this.#now = options.now ?? Date.now;
  }

  /** How long reads are kept: `since = now - keepMs` accepts any kept read. */
  get keepMs(): number {
    return this.#keepMs;
  }

  /**
   * The deal as read by a `crm.item.get` issued at `since` or later.
   * @throws AppError as the call does (a missing deal: B24_METHOD_FAILED with details.b24Error NOT_FOUND)
   */
  read(memberId: string, dealId: number, since: number): Promise<DealRead> {
    const key = `${memberId}|${dealId}`;
    const now = this.#now();
    const hit = this.#entries.get(key);
    if (hit && hit.issuedAt >= since && now - hit.issuedAt < this.#keepMs) return hit.value;
    const value = this.calls
      .call<{ item?: Record<string, unknown> }>(memberId, 'crm.item.get', {
        entityTypeId: DEAL_ENTITY_TYPE_ID,
        id: dealId,
        useOriginalUfNames: 'Y',
      })
      .then((answer) => {
        if (!answer?.item) throw new AppError(ErrorCode.B24_METHOD_FAILED, 'crm.item.get answered without an item');
        return { item: answer.item, issuedAt: now };
      });
    this.keep(key, { issuedAt: now, value });
    value.catch(() => {
      if (this.#entries.get(key)?.value === value) this.#entries.delete(key);
    });
    return value;
  }

  /** What the app learned of the deal by changing it (`crm.item.update` answers with the item). */
  remember(memberId: string, dealId: number, item: Record<string, unknown>, issuedAt: number): void {
    const key = `${memberId}|${dealId}`;
    if ((this.#entries.get(key)?.issuedAt ?? 0) > issuedAt) return;
    this.keep(key, { issuedAt, value: Promise.resolve({ item, issuedAt }) });
  }

  private keep(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (this.#entries.size <= this.#maxEntries) return;
    const now = this.#now();
    for (const [k, e] of this.#entries) {
      if (now - e.issuedAt >= this.#keepMs || this.#entries.size > this.#maxEntries) this.#entries.delete(k);
      else break;
    }
  }
}
