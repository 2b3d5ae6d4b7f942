/**
 * Bounds how many handlers of one consumer run at once and remembers them, so `Consumer.close()` can wait
 * for the ones in flight (rabbitmq-client `Consumer.close()`: cancel, `allSettled(processing)`, close).
 */
export class InFlight {
  private readonly running = new Set<Promise<void>>();
  private readonly waiting: Array<() => void> = [];

  /** @param limit the most tasks running at once (the consumer's prefetch) */
  constructor(private readonly limit: number) {}

  get size(): number {
    return this.running.size;
  }

  get hasSlot(): boolean {
    return this.running.size < this.limit;
  }

  /**
   * Runs `task` when a slot is free. `stillWanted` is asked again when the slot comes: a task whose message
   * is no longer ours (channel gone, consumer closing) is skipped rather than run twice.
   */
  async run(task: () => Promise<void>, stillWanted: () => boolean = () => true): Promise<void> {
    while (!this.hasSlot) await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (!stillWanted()) {
      this.waiting.shift()?.();
      return;
    }
    await this.add(task());
  }

  /** Resolves when a slot is free (for pull-based consumers that lease before running). */
  async slot(): Promise<void> {
    while (!this.hasSlot) await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** Tracks a task started without `run` (the caller already holds a slot from `slot()`). */
  track(task: Promise<void>): void {
    void this.add(task);
  }

  /** Tasks are the adapters' own wrappers, which settle every error; a stray rejection is swallowed so it cannot crash the process. */
  private add(task: Promise<void>): Promise<void> {
    const promise = task
      .catch(() => {})
      .finally(() => {
        this.running.delete(promise);
        this.waiting.shift()?.();
      });
    this.running.add(promise);
    return promise;
  }

  /** Resolves when every task started so far has settled. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
