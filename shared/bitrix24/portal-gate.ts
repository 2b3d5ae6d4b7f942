/**
 * At most a few direct calls per portal in flight at once, the later pipeline stages first. The portal's
 * budget (2 requests/s, reference §1.7) makes waiting unavoidable under load; waiting here instead of inside
 * the client matters because a call takes the portal's access token when it starts: a hundred calls queued
 * in the client's leaky bucket would all carry the token that was current when they were queued, and one
 * expired token would then cost a refused request each. Calls waiting at this gate have not taken a token
 * yet. The priority lets calls that finish a request (the file upload) pass calls that start one (the
 * download), so requests complete one after another instead of all at the end.
 */

interface Waiter {
  priority: number;
  seq: number;
  start: () => void;
}

interface Lane {
  running: number;
  waiting: Waiter[];
}

export class PortalGate {
  readonly #lanes = new Map<string, Lane>();
  #seq = 0;

  /** @param limit calls per portal in flight (@default 2: keeps a 2/s budget busy, few tokens at stake) */
  constructor(private readonly limit = 2) {}

  /** Runs `call` when fewer than `limit` calls of `memberId` are in flight; higher `priority` goes first. */
  async run<T>(memberId: string, priority: number, call: () => Promise<T>): Promise<T> {
    const lane = this.#lanes.get(memberId) ?? { running: 0, waiting: [] };
    this.#lanes.set(memberId, lane);
    if (lane.running >= this.limit) {
      await new Promise<void>((start) => {
        lane.waiting.push({ priority, seq: this.#seq++, start });
        lane.waiting.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
      });
    }
    lane.running++;
    try {
      return await call();
    } finally {
      lane.running--;
      const next = lane.waiting.shift();
      if (next) next.start();
      else if (lane.running === 0) this.#lanes.delete(memberId);
    }
  }
}
