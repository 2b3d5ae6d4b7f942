/**
 * Contract cases about failures: transient errors retried with the policy's delays, permanent errors and
 * undecodable bodies parked at once, attempts exhausted, and the queue flowing past a poison message.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import type { DeliveredJob, ParkedJob } from '../../../shared/queue/queue-port.js';
import type { ContractHarness } from '../queue-contract.js';
import { waitFor } from '../support/wait-for.js';

const transient = (message: string) => new AppError(ErrorCode.TSA_UNAVAILABLE, message);

export function failureCases({ openQueue, consume, newRoute }: ContractHarness): void {
  it('retries a transient failure after the configured delays and succeeds on attempt 3', async () => {
    const { queue } = await openQueue();
    const route = newRoute();
    const calls: Array<{ attempt: number; at: number }> = [];
    await consume(queue, [route], async (job) => {
      calls.push({ attempt: job.attempt, at: Date.now() });
      if (job.attempt < 3) throw transient('the TSA is down');
    });
    await queue.publish(route, { x: 1 });
    await waitFor('three attempts', () => calls.length === 3);
    await sleep(400);
    assert.deepEqual(
      calls.map((c) => c.attempt),
      [1, 2, 3],
    );
    const [a, b, c] = calls.map((call) => call.at) as [number, number, number];
    assert.ok(b - a >= 90, `second attempt came ${b - a} ms after the first (delay 100)`);
    assert.ok(c - b >= 180, `third attempt came ${c - b} ms after the second (delay 200)`);
    assert.ok(c - a < 10_000, `retries took ${c - a} ms`);
    assert.deepEqual(await queue.listParked(route), []);
  });

  it('parks a permanent failure at once with the error message as the reason', async () => {
    const { queue } = await openQueue();
    const route = newRoute();
    let calls = 0;
    await consume(queue, [route], async () => {
      calls++;
      throw new AppError(ErrorCode.PDF_DAMAGED, 'the cross-reference table is broken');
    });
    await queue.publish(route, { doc: 7 }, { messageId: 'poison-1' });
    await waitFor('the parked job', async () => (await queue.listParked(route)).length === 1);
    await sleep(400);
    assert.equal(calls, 1);
    const [parked] = await queue.listParked(route);
    assert.equal(parked?.messageId, 'poison-1');
    assert.equal(parked?.route, route);
    assert.deepEqual(parked?.body, { doc: 7 });
    assert.equal(parked?.reason, 'the cross-reference table is broken');
    assert.equal(parked?.attempts, 1);
    assert.ok(parked && Math.abs(parked.parkedAt.getTime() - Date.now()) < 60_000);
  });

  it('tells the onParked hook of each park (reason, attempts, body) before the job is listed as parked', async () => {
    const q = await openQueue();
    const route = newRoute();
    const told: Array<ParkedJob & { parkedAlready: boolean }> = [];
    const onParked = async (job: ParkedJob) => {
      const parkedAlready = (await q.queue.listParked(route)).some((p) => p.messageId === job.messageId);
      told.push({ ...job, parkedAlready });
    };
    const handler = async (job: DeliveredJob) => {
      if ((job.body as { kind?: string }).kind === 'permanent')
        throw new AppError(ErrorCode.PDF_DAMAGED, 'broken xref');
      throw transient('the TSA is down');
    };
    await consume(q.queue, [route], handler, { onParked });
    await q.queue.publish(route, { kind: 'permanent' }, { messageId: 'hook-permanent' });
    await q.queue.publish(route, { kind: 'transient' }, { messageId: 'hook-transient' });
    await q.publishRaw(route, 'not json');
    await waitFor('three parked jobs', async () => (await q.queue.listParked(route)).length === 3);
    assert.equal(told.length, 3);
    const permanent = told.find((t) => t.messageId === 'hook-permanent');
    assert.deepEqual(
      [permanent?.reason, permanent?.attempts, permanent?.body],
      ['broken xref', 1, { kind: 'permanent' }],
    );
    const exhausted = told.find((t) => t.messageId === 'hook-transient');
    assert.deepEqual([exhausted?.reason, exhausted?.attempts], ['gave up after 3 attempts: the TSA is down', 3]);
    assert.match(told.find((t) => t.body === 'not json')?.reason ?? '', /not JSON/);
    assert.deepEqual(
      told.filter((t) => t.parkedAlready).map((t) => t.messageId),
      [],
      'each was told before it was parked',
    );
  });

  it('parks a body that is not JSON without calling the handler', async () => {
    const q = await openQueue();
    const route = newRoute();
    let calls = 0;
    await consume(q.queue, [route], async () => void calls++);
    await q.publishRaw(route, '{"type": "sign-request", oops');
    await waitFor('the parked job', async () => (await q.queue.listParked(route)).length === 1);
    const [parked] = await q.queue.listParked(route);
    assert.match(parked?.reason ?? '', /not JSON/);
    assert.equal(parked?.body, '{"type": "sign-request", oops');
    assert.equal(calls, 0);
  });

  it('parks a job that keeps failing transiently with "gave up after N attempts: <last reason>"', async () => {
    const { queue } = await openQueue();
    const route = newRoute();
    const attempts: number[] = [];
    await consume(queue, [route], async (job) => {
      attempts.push(job.attempt);
      throw transient(`the TSA is down (attempt ${job.attempt})`);
    });
    await queue.publish(route, { y: 2 });
    await waitFor('the parked job', async () => (await queue.listParked(route)).length === 1);
    const [parked] = await queue.listParked(route);
    assert.deepEqual(attempts, [1, 2, 3]);
    assert.equal(parked?.reason, 'gave up after 3 attempts: the TSA is down (attempt 3)');
    assert.equal(parked?.attempts, 3);
  });

  it('keeps flowing after a poison message', async () => {
    const q = await openQueue();
    const route = newRoute();
    await q.publishRaw(route, 'not json at all');
    await q.queue.publish(route, { kind: 'poison' });
    for (let i = 0; i < 5; i++) await q.queue.publish(route, { kind: 'good', i });
    const good: number[] = [];
    await consume(
      q.queue,
      [route],
      async (job) => {
        const body = job.body as { kind: string; i?: number };
        if (body.kind === 'poison') throw new AppError(ErrorCode.PDF_MALFORMED, 'unreadable page tree');
        good.push(body.i as number);
      },
      1,
    );
    await waitFor('the five good jobs', () => good.length === 5);
    await waitFor('two parked jobs', async () => (await q.queue.listParked(route)).length === 2);
    assert.deepEqual(
      [...good].sort((x, y) => x - y),
      [0, 1, 2, 3, 4],
    );
  });
}
