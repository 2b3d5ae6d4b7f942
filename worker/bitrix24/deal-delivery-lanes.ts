/**
 * Deliveries to one deal, one at a time in this worker. `crm.item.update` sets a multiple file field as a
 * whole list (reference §6.2: every file whose id is missing is deleted), so two requests delivering to the
 * same deal at once — the several PDFs of one deal signed as a batch — would each read the field, and the
 * later update would delete the file the earlier one had just put there. Each delivery reads the deal and
 * updates it while holding its deal's lane; other deals' deliveries go on in parallel.
 *
 * The lane is per process: workers that consume the same route (the internal CA's `internal`) could still
 * deliver to one deal at the same moment; a token's route has one worker, the one holding the token.
 */
export class DealDeliveryLanes {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Runs `work` after every earlier delivery to the same deal (`memberId`, `dealId`) has ended. */
  async run<T>(memberId: string, dealId: number, work: () => Promise<T>): Promise<T> {
    const key = `${memberId}\n${dealId}`;
    const before = this.#tails.get(key) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(work);
    const tail = mine.catch(() => undefined);
    this.#tails.set(key, tail);
    try {
      return await mine;
    } finally {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}
