/**
 * The embedded SQLite queue: the queue contract on a temp file, then what only a shared file must prove —
 * a job leased by a process that is SIGKILLed comes back after its lease, and two worker processes share
 * the work without handling a job twice while both are alive.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EmbeddedJobQueue } from '../../shared/queue/embedded/embedded-queue.js';
import type { DeliveredJob } from '../../shared/queue/queue-port.js';
import { describeQueueContract, TEST_RETRY } from './queue-contract.js';
import { measureThroughput } from './support/throughput.js';
import { waitFor } from './support/wait-for.js';

const CHILD = fileURLToPath(new URL('./support/embedded-queue-child.js', import.meta.url));

interface ChildEvent {
  event: 'ready' | 'leased' | 'handled' | 'closed';
  messageId?: string;
  pid: number;
}

/** A worker process and the events it reported so far. */
function startChild(args: Record<string, unknown>): {
  child: ChildProcess;
  events: ChildEvent[];
  exited: Promise<void>;
} {
  const child = spawn(process.execPath, [CHILD, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const events: ChildEvent[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    events.push(JSON.parse(line) as ChildEvent);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, events, exited };
}

describe('EmbeddedJobQueue (SQLite file)', function () {
  this.timeout(120_000);
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-queue-'));
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describeQueueContract('embedded', async ({ retry }) => {
    // A short lease so the "consumer died" contract test does not wait the default 30 s.
    const queue = new EmbeddedJobQueue({ file: path.join(dir, 'contract.sqlite'), retry, leaseMs: 1000, pollMs: 20 });
    return { queue, publishRaw: (route, content) => queue.publishRaw(route, content), abandon: () => queue.abandon() };
  });

  it('knows the lag of the oldest ready job', async () => {
    const queue = new EmbeddedJobQueue({ file: path.join(dir, 'lag.sqlite'), retry: TEST_RETRY });
    try {
      await queue.publish('lag', { a: 1 });
      await new Promise((resolve) => setTimeout(resolve, 150));
      await queue.publish('lag', { a: 2 });
      const depth = await queue.depth('lag');
      assert.equal(depth.ready, 2);
      assert.ok((depth.oldestAgeMs ?? 0) >= 140, `oldestAgeMs ${depth.oldestAgeMs}`);
    } finally {
      await queue.close();
    }
  });

  it('hands a job leased by a SIGKILLed process to another consumer once the lease expires', async () => {
    const file = path.join(dir, 'kill.sqlite');
    const queue = new EmbeddedJobQueue({ file, retry: TEST_RETRY, leaseMs: 1500, pollMs: 20 });
    try {
      await queue.publish('kill', { step: 'sign' }, { messageId: 'victim' });
      const { child, events, exited } = startChild({ file, route: 'kill', mode: 'hang', leaseMs: 1500, workMs: 0 });
      await waitFor('the child to lease the job', () => events.some((e) => e.event === 'leased'));
      assert.equal(events.find((e) => e.event === 'leased')?.messageId, 'victim');
      child.kill('SIGKILL');
      await exited;
      const killedAt = Date.now();
      assert.equal((await queue.depth('kill')).ready, 0, 'the job must stay leased until the lease expires');

      const got: Array<DeliveredJob & { at: number }> = [];
      const consumer = await queue.consume(['kill'], async (job) => void got.push({ ...job, at: Date.now() }));
      await waitFor('the job to come back', () => got.length === 1, 15_000);
      await consumer.close();
      const waited = (got[0]?.at ?? 0) - killedAt;
      assert.equal(got[0]?.messageId, 'victim');
      assert.deepEqual(got[0]?.body, { step: 'sign' });
      // The child extended its 1500 ms lease every 500 ms, so it ran out up to 1500 ms after the kill (the
      // lower bound is loose: a loaded machine delays the child's last extension).
      assert.ok(waited >= 200 && waited < 5000, `the job came back ${waited} ms after the kill`);
      assert.deepEqual(await queue.depth('kill'), { route: 'kill', ready: 0, delayed: 0, parked: 0 });
    } finally {
      await queue.close();
    }
  });

  it('keeps extending the lease of a long handler, so no other consumer takes the job meanwhile', async () => {
    const file = path.join(dir, 'long.sqlite');
    const options = { file, retry: TEST_RETRY, leaseMs: 600, pollMs: 20 };
    const [one, two] = [new EmbeddedJobQueue(options), new EmbeddedJobQueue(options)];
    try {
      const calls: string[] = [];
      const slow = async (job: DeliveredJob) => {
        calls.push(job.messageId);
        await new Promise((resolve) => setTimeout(resolve, 2000)); // more than three leases long
      };
      const consumers = [await one.consume(['long'], slow), await two.consume(['long'], slow)];
      await one.publish('long', { n: 1 }, { messageId: 'long-1' });
      await waitFor('the job to start', () => calls.length === 1);
      await new Promise((resolve) => setTimeout(resolve, 2300));
      await Promise.all(consumers.map((c) => c.close()));
      assert.deepEqual(calls, ['long-1']);
      assert.deepEqual(await one.depth('long'), { route: 'long', ready: 0, delayed: 0, parked: 0 });
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('parks a job whose workers keep dying on it once the delivery limit is reached', async () => {
    const options = {
      file: path.join(dir, 'limit.sqlite'),
      retry: TEST_RETRY,
      leaseMs: 200,
      pollMs: 20,
      deliveryLimit: 2,
    };
    let leases = 0;
    for (let i = 0; i < 2; i++) {
      const queue = new EmbeddedJobQueue(options);
      if (i === 0) await queue.publish('limit', { crash: true }, { messageId: 'crasher' });
      await queue.consume(['limit'], async () => {
        leases++;
        await new Promise(() => {});
      });
      await waitFor(`lease ${i + 1}`, () => leases === i + 1);
      await queue.abandon();
    }
    const queue = new EmbeddedJobQueue(options);
    try {
      let called = false;
      await queue.consume(['limit'], async () => {
        called = true;
      });
      await waitFor('the job parked', async () => (await queue.depth('limit')).parked === 1);
      const [parked] = await queue.listParked('limit');
      assert.equal(parked?.messageId, 'crasher');
      assert.match(parked?.reason ?? '', /^delivery limit exceeded: delivered 2 times/);
      assert.equal(called, false);
    } finally {
      await queue.close();
    }
  });

  it('lets two worker processes share the work without handling a job twice', async () => {
    const file = path.join(dir, 'share.sqlite');
    const queue = new EmbeddedJobQueue({ file, retry: TEST_RETRY });
    const workers = [0, 1].map(() => startChild({ file, route: 'share', mode: 'work', leaseMs: 30_000, workMs: 20 }));
    try {
      await waitFor('both workers ready', () => workers.every((w) => w.events.some((e) => e.event === 'ready')));
      for (let i = 0; i < 300; i++) await queue.publish('share', { i }, { messageId: `share-${i}` });
      const handled = () => workers.flatMap((w) => w.events.filter((e) => e.event === 'handled'));
      await waitFor('300 jobs handled', () => handled().length >= 300, 60_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const ids = handled().map((e) => e.messageId);
      assert.equal(ids.length, 300, 'a job was handled twice');
      assert.equal(new Set(ids).size, 300);
      const perWorker = workers.map((w) => w.events.filter((e) => e.event === 'handled').length);
      assert.ok(
        perWorker.every((count) => count >= 30),
        `the work was not shared: ${perWorker.join(' / ')}`,
      );
      console.log(`      jobs per worker process: ${perWorker.join(' / ')}`);
    } finally {
      for (const w of workers) w.child.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.exited));
      await queue.close();
    }
    assert.ok(
      workers.every((w) => w.events.some((e) => e.event === 'closed')),
      'a worker did not close gracefully',
    );
  });

  it('moves jobs with a no-op handler (throughput figure)', async () => {
    const queue = new EmbeddedJobQueue({ file: path.join(dir, 'throughput.sqlite'), retry: TEST_RETRY });
    try {
      const figures = await measureThroughput(queue, 'throughput', 2000);
      console.log(
        `      embedded: publish ${figures.publishPerSecond} jobs/s, consume ${figures.consumePerSecond} jobs/s`,
      );
    } finally {
      await queue.close();
    }
  });
});
