/**
 * A rough figure for the report, not a timed test: how many jobs per second go through a queue adapter
 * with a no-op handler (publishes 32 at a time, then one consumer with the default prefetch drains them).
 */
import { performance } from 'node:perf_hooks';
import type { JobQueue } from '../../../shared/queue/queue-port.js';
import { waitFor } from './wait-for.js';

export interface Throughput {
  publishPerSecond: number;
  consumePerSecond: number;
}

export async function measureThroughput(queue: JobQueue, route: string, count: number): Promise<Throughput> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      for (let i = next++; i < count; i = next++) await queue.publish(route, { i }, { messageId: `tp-${i}` });
    }),
  );
  const t1 = performance.now();
  const seen = new Set<string>();
  const consumer = await queue.consume([route], async (job) => void seen.add(job.messageId));
  await waitFor(`${count} jobs consumed`, () => seen.size === count, 120_000);
  const t2 = performance.now();
  await consumer.close();
  return {
    publishPerSecond: Math.round((count * 1000) / (t1 - t0)),
    consumePerSecond: Math.round((count * 1000) / (t2 - t1)),
  };
}
