/**
 * Backpressure by bytes: one worker's budget of memory for documents in flight (WORKER_BYTE_BUDGET_MB),
 * besides the job count (WORKER_PREFETCH). A job reserves what its document will cost before it is fetched
 * and gives it back when it ends. A reservation that fits goes at once, also past a larger one that is
 * waiting — small documents are not held up behind big ones — until the one waiting longest has waited
 * `MAX_BYPASS_MS`; then it goes next, so a big document is not starved either. A document larger than the
 * whole budget runs alone.
 */

interface Waiter {
  bytes: number;
  since: number;
  grant: (release: () => void) => void;
}

/** How long the first waiter may be passed by smaller reservations that fit. */
const MAX_BYPASS_MS = 10_000;

export class ByteBudget {
  private used = 0;
  private readonly waiting: Waiter[] = [];

  /** @param limit the budget in bytes */
  constructor(readonly limit: number) {}

  /** Bytes reserved now. */
  get inUse(): number {
    return this.used;
  }

  /** Waits until `bytes` may be reserved, reserves them, and returns the function that gives them back. */
  async reserve(bytes: number): Promise<() => void> {
    const amount = Math.max(0, Math.ceil(bytes));
    if (this.waiting.length === 0 && this.fits(amount)) return this.take(amount);
    return new Promise<() => void>((grant) => {
      this.waiting.push({ bytes: amount, since: Date.now(), grant });
      this.admit();
    });
  }

  private fits(bytes: number): boolean {
    return this.used === 0 || this.used + bytes <= this.limit;
  }

  private take(bytes: number): () => void {
    this.used += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= bytes;
      this.admit();
    };
  }

  /** Grants every waiter that may go now, in order; none may pass a first waiter that waited too long. */
  private admit(): void {
    for (let i = 0; i < this.waiting.length; ) {
      const waiter = this.waiting[i] as Waiter;
      if (this.fits(waiter.bytes)) {
        this.waiting.splice(i, 1);
        waiter.grant(this.take(waiter.bytes));
        continue;
      }
      if (i === 0 && Date.now() - waiter.since >= MAX_BYPASS_MS) return;
      i++;
    }
  }
}
