/**
 * The wait behind the status routes of the Sign dialog and the approval page: answers as soon as the
 * request (or a batch, batch-progress.ts) has left the state the page last saw (or is final), at most
 * LONG_POLL_MS. It looks at the store
 * often at first (a signature usually completes within a few hundred milliseconds) and then less and less
 * often, and stops as soon as the client has gone away.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from 'koa';
import { FINAL_STATES, type SignRequest } from '../../shared/domain/sign-request.js';

/** How long one status call waits for a change. */
export const LONG_POLL_MS = 20_000;
const FIRST_LOOK_MS = 20;
const SLOWEST_LOOK_MS = 500;

/** A signal that fires when the client of `ctx` closes its connection before the answer. */
export function clientGone(ctx: Context): AbortSignal {
  const controller = new AbortController();
  ctx.res.once('close', () => controller.abort());
  return controller.signal;
}

/** Loads until `changed(value)` holds, the time is up, or `signal` fires; returns the last value loaded. */
export async function waitForChange<T>(
  load: () => Promise<T>,
  changed: (value: T) => boolean,
  signal: AbortSignal,
  maxMs = LONG_POLL_MS,
): Promise<T> {
  const until = Date.now() + maxMs;
  let delay = FIRST_LOOK_MS;
  for (;;) {
    const value = await load();
    if (changed(value) || Date.now() >= until || signal.aborted) return value;
    await sleep(Math.min(delay, Math.max(0, until - Date.now())), undefined, { signal }).catch(() => undefined);
    delay = Math.min(SLOWEST_LOOK_MS, Math.ceil(delay * 1.5));
  }
}

/** Loads the request until its state is not `after` (or final), the time is up, or `signal` fires. */
export function waitForStateChange(
  load: () => Promise<SignRequest>,
  after: string,
  signal: AbortSignal,
  maxMs = LONG_POLL_MS,
): Promise<SignRequest> {
  return waitForChange(load, (r) => r.state !== after || FINAL_STATES.has(r.state), signal, maxMs);
}
