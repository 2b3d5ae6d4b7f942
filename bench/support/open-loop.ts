/**
 * Submits at a fixed offered rate, whatever the system does with it (an open loop: a slow pipeline makes
 * requests wait in the queue, it does not slow the arrivals down), or all at once through a few lanes.
 * This is how people arrive at a service, and it keeps the latency figures honest: a backlog shows up as
 * latency instead of being hidden by a submitter that waits for the previous request.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface OpenLoopResult<T> {
  results: (T | undefined)[];
  errors: string[];
  /** Arrivals per second actually achieved (the submit side may itself fall behind the offered rate). */
  achievedRate: number;
}

/**
 * Calls `submit(i)` for i = 0 … count-1: at `rate` per second (each call starts on schedule, not after the
 * previous one ends), or with `rate` 0 as fast as `lanes` concurrent callers go.
 */
export async function submitOpenLoop<T>(
  count: number,
  rate: number,
  submit: (i: number) => Promise<T>,
  lanes = 32,
): Promise<OpenLoopResult<T>> {
  const results: (T | undefined)[] = new Array(count);
  const errors: string[] = [];
  const one = (i: number) =>
    submit(i).then(
      (r) => {
        results[i] = r;
      },
      (e: unknown) => {
        errors.push(`request ${i}: ${(e as Error)?.message ?? e}`);
      },
    );
  const began = performance.now();
  let lastStart = began;
  if (rate > 0) {
    const pending: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const wait = began + (i * 1000) / rate - performance.now();
      if (wait > 0) await sleep(wait);
      lastStart = performance.now();
      pending.push(one(i));
    }
    await Promise.all(pending);
  } else {
    let next = 0;
    const lane = async () => {
      for (let i = next++; i < count; i = next++) {
        lastStart = performance.now();
        await one(i);
      }
    };
    await Promise.all(Array.from({ length: lanes }, lane));
  }
  const seconds = Math.max(1e-3, (lastStart - began) / 1000);
  return { results, errors, achievedRate: count > 1 ? (count - 1) / seconds : count };
}
