/**
 * Contract cases about delivery: round trip, at least once, route separation, prefetch, graceful close
 * and depth. Registered by `describeQueueContract` for each adapter.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import type { DeliveredJob } from '../../../shared/queue/queue-port.js';
import type { ContractHarness } from '../queue-contract.js';
import { waitFor } from '../support/wait-for.js';

const transient = (message: string) => new AppError(ErrorCode.TSA_UNAVAILABLE, message);

export function deliveryCases({ openQueue, consume, newRoute }: ContractHarness): void {
  it('delivers a published job with its id, route, body and attempt 1', async () => {
    const { queue } = await openQueue();
    const route = newRoute();
    const got: DeliveredJob[] = [];
    await consume(queue, [route], async (job) => void got.push(job));
    await queue.publish(route, { hello: 'мир', n: 1 }, { messageId: 'round-trip-1' });
    await waitFor('the job', () => got.length === 1);
    const { signal, ...delivered } = got[0] as DeliveredJob;
    assert.deepEqual(delivered, { messageId: 'round-trip-1', route, body: { hello: 'мир', n: 1 }, attempt: 1 });
    assert.equal(signal.aborted, false, 'the delivery is ours while the handler runs');
  });

  it('handles every job of a batch exactly once when nothing fails (order not required)', async () => {
    const { queue } = await openQueue();
    const route = newRoute();
    const seen = new Map<string, number>();
    await consume(
      queue,
      [route],
      async (job) => {
        seen.set(job.messageId, (seen.get(job.messageId) ?? 0) + 1);
      },
      4,
    );
    await Promise.all(Array.from({ length: 40 }, (_, i) => queue.publish(route, { i }, { messageId: `batch-${i}` })));
    await waitFor('40 jobs', () => seen.size === 40);
    await sleep(200);
    assert.deepEqual(
      [...seen.values()].filter((count) => count !== 1),
      [],
    );
  });

  it('delivers again a job whose consumer died before acknowledging it (at least once)', async () => {
    const first = await openQueue();
    const route = newRoute();
    let started = 0;
    await first.queue.consume([route], async () => {
      started++;
      await new Promise(() => {}); // never finishes: the process "dies" below
    });
    await first.queue.publish(route, { step: 'sign' }, { messageId: 'survivor' });
    await waitFor('the first delivery', () => started === 1);
    await first.abandon();

    const second = await openQueue();
    const got: DeliveredJob[] = [];
    await consume(second.queue, [route], async (job) => void got.push(job));
    await waitFor('the redelivery', () => got.length >= 1, 20_000);
    assert.equal(got[0]?.messageId, 'survivor');
    assert.deepEqual(got[0]?.body, { step: 'sign' });
  });

  it('keeps routes apart: a consumer of route A never gets route B jobs', async () => {
    const { queue } = await openQueue();
    const [a, b] = [newRoute(), newRoute()];
    const gotA: DeliveredJob[] = [];
    await consume(queue, [a], async (job) => void gotA.push(job));
    for (let i = 0; i < 3; i++) await queue.publish(b, { for: 'b', i });
    for (let i = 0; i < 3; i++) await queue.publish(a, { for: 'a', i });
    await waitFor('route A jobs', () => gotA.length === 3);
    await waitFor('route B jobs waiting', async () => (await queue.depth(b)).ready === 3);
    assert.ok(gotA.every((job) => job.route === a && (job.body as { for: string }).for === 'a'));
    const gotB: DeliveredJob[] = [];
    await consume(queue, [b], async (job) => void gotB.push(job));
    await waitFor('route B jobs', () => gotB.length === 3);
    assert.ok(gotB.every((job) => job.route === b));
    assert.equal(gotA.length, 3);
  });

  it('runs at most `prefetch` handlers at once, also over several routes', async () => {
    const { queue } = await openQueue();
    const [a, b] = [newRoute(), newRoute()];
    let active = 0;
    let most = 0;
    let done = 0;
    const slow = async () => {
      most = Math.max(most, ++active);
      await sleep(60);
      active--;
      done++;
    };
    const first = await consume(queue, [a], slow, 3);
    await Promise.all(Array.from({ length: 12 }, (_, i) => queue.publish(a, { i })));
    await waitFor('12 jobs', () => done === 12);
    await first.close();
    assert.equal(most, 3);

    most = 0;
    done = 0;
    await consume(queue, [a, b], slow, 2);
    await Promise.all(Array.from({ length: 16 }, (_, i) => queue.publish(i % 2 ? a : b, { i })));
    await waitFor('16 jobs', () => done === 16);
    assert.equal(most, 2);
  });

  it('Consumer.close() waits for the handlers in flight, settles them and takes no new jobs', async () => {
    const { queue } = await openQueue();
    const route = newRoute();
    let started = 0;
    let finished = 0;
    const consumer = await queue.consume([route], async () => {
      started++;
      await sleep(400);
      finished++;
    });
    await queue.publish(route, { slow: true });
    await waitFor('the handler to start', () => started === 1);
    await consumer.close();
    assert.equal(finished, 1, 'close() returned before the handler finished');
    await queue.publish(route, { after: 'close' });
    await sleep(300);
    assert.equal(started, 1, 'a closed consumer took a new job');
    await waitFor('the new job ready, the old one gone', async () => (await queue.depth(route)).ready === 1);
  });

  it('depth() counts ready, delayed and parked jobs', async () => {
    const q = await openQueue({ delaysMs: [4000], maxAttempts: 2 });
    const route = newRoute();
    assert.deepEqual(await q.queue.depth(route), { route, ready: 0, delayed: 0, parked: 0 });
    await q.queue.publish(route, { kind: 'ok' });
    await q.queue.publish(route, { kind: 'fail' });
    await q.publishRaw(route, '<not json>');
    await waitFor('three ready', async () => (await q.queue.depth(route)).ready === 3);
    const handled: string[] = [];
    await consume(q.queue, [route], async (job) => {
      const { kind } = job.body as { kind: string };
      handled.push(kind);
      if (kind === 'fail') throw transient('later, please');
    });
    await waitFor('1 delayed and 1 parked', async () => {
      const d = await q.queue.depth(route);
      return d.ready === 0 && d.delayed === 1 && d.parked === 1;
    });
    assert.deepEqual(handled.sort(), ['fail', 'ok']);
  });
}
