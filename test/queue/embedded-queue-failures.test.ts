/**
 * The embedded queue when the file under it misbehaves: a lease SQLite cannot store (full disk, on a small
 * tmpfs) hands out no job and the consumer backs off instead of spinning; a lease taken over by someone else
 * aborts the handler's signal and the job is not settled by the consumer that lost it; the delivery-limit
 * park is logged and told to the parked-job hook; `liveMessageIds` lists waiting and leased jobs, not parked ones.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { createLogger } from '../../shared/logger.js';
import { EmbeddedJobQueue } from '../../shared/queue/embedded/embedded-queue.js';
import type { DeliveredJob, ParkedJob } from '../../shared/queue/queue-port.js';
import { mountSmallDisk, type SmallDisk } from '../support/small-disk.js';
import { TEST_RETRY } from './queue-contract.js';
import { waitFor } from './support/wait-for.js';

describe('EmbeddedJobQueue when the file fails', function () {
  this.timeout(60_000);
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-queue-fail-'));
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('on a full disk', () => {
    let disk: SmallDisk;

    before(async () => {
      disk = await mountSmallDisk(4, 'queue-full');
    });

    after(async () => {
      await disk?.dispose();
    });

    it('hands out no job whose lease was not stored, backs off, and delivers it once space is back', async () => {
      const queue = new EmbeddedJobQueue({ file: path.join(disk.dir, 'queue.sqlite'), retry: TEST_RETRY, pollMs: 20 });
      try {
        await queue.publish('full', { n: 1 }, { messageId: 'waits-for-space' });
        disk.fill();
        const got: DeliveredJob[] = [];
        const cpuBefore = process.cpuUsage();
        await queue.consume(['full'], async (job) => void got.push(job));
        await sleep(3000);
        const cpu = process.cpuUsage(cpuBefore);
        assert.equal(got.length, 0, 'no job was handed out while its lease could not be stored');
        const cpuSeconds = (cpu.user + cpu.system) / 1e6;
        assert.ok(cpuSeconds < 0.6, `the consumer spun on the full disk: ${cpuSeconds.toFixed(2)} s CPU in 3 s`);
        disk.free();
        await waitFor('the job after space came back', () => got.length === 1, 20_000);
        await sleep(200);
        assert.equal(got.length, 1);
        assert.equal(got[0]?.messageId, 'waits-for-space');
        assert.equal(got[0]?.attempt, 1);
        assert.deepEqual(await queue.depth('full'), { route: 'full', ready: 0, delayed: 0, parked: 0 });
        console.log(`      CPU while the disk was full: ${cpuSeconds.toFixed(2)} s in 3 s`);
      } finally {
        disk.free();
        await queue.close();
      }
    });
  });

  it('aborts the signal of a handler whose lease another consumer took, and does not settle that job', async () => {
    const file = path.join(dir, 'taken.sqlite');
    const queue = new EmbeddedJobQueue({ file, retry: TEST_RETRY, leaseMs: 600, pollMs: 20 });
    const other = new Database(file, { timeout: 5000 });
    try {
      let handled: DeliveredJob | undefined;
      let abortedAfterMs: number | undefined;
      await queue.consume(['taken'], async (job) => {
        handled = job;
        const began = Date.now();
        while (!job.signal.aborted && Date.now() - began < 5000) await sleep(20);
        if (job.signal.aborted) abortedAfterMs = Date.now() - began;
      });
      await queue.publish('taken', { n: 1 }, { messageId: 'taken-over' });
      await waitFor('the handler to start', () => handled !== undefined);
      other
        .prepare("UPDATE queue_jobs SET lease_owner = 'intruder', leased_until = ? WHERE message_id = 'taken-over'")
        .run(Date.now() + 60_000);
      await waitFor('the handler to end', () => abortedAfterMs !== undefined, 10_000);
      assert.ok((abortedAfterMs ?? Infinity) < 2000, `the signal aborted after ${abortedAfterMs} ms`);
      await sleep(300);
      const row = other.prepare("SELECT lease_owner FROM queue_jobs WHERE message_id = 'taken-over'").get() as
        | { lease_owner: string }
        | undefined;
      assert.equal(row?.lease_owner, 'intruder', 'the job stays with the consumer that holds it now');
    } finally {
      other.close();
      await queue.close();
    }
  });

  it('logs a delivery-limit park and tells the parked-job hook, without calling the handler', async () => {
    const options = { file: path.join(dir, 'limit.sqlite'), retry: TEST_RETRY, leaseMs: 200, pollMs: 20 };
    const first = new EmbeddedJobQueue({ ...options, deliveryLimit: 1 });
    await first.publish('limit', { crash: true }, { messageId: 'crasher' });
    let leased = false;
    await first.consume(['limit'], async () => {
      leased = true;
      await new Promise(() => {});
    });
    await waitFor('the first lease', () => leased);
    await first.abandon();
    const lines: string[] = [];
    const queue = new EmbeddedJobQueue({
      ...options,
      deliveryLimit: 1,
      logger: createLogger({ level: 'info', sink: (line) => lines.push(line) }),
    });
    try {
      const told: ParkedJob[] = [];
      let called = false;
      const handler = async () => {
        called = true;
      };
      await queue.consume(['limit'], handler, { onParked: async (j) => void told.push(j) });
      await waitFor('the park', async () => (await queue.depth('limit')).parked === 1);
      assert.equal(called, false);
      assert.equal(told[0]?.messageId, 'crasher');
      assert.deepEqual(told[0]?.body, { crash: true });
      assert.match(told[0]?.reason ?? '', /^delivery limit exceeded: delivered 1 times/);
      const logged = lines.map((l) => JSON.parse(l) as { msg: string; level: string; messageId?: string });
      assert.ok(
        logged.some((l) => l.msg === 'job parked: delivery limit exceeded' && l.messageId === 'crasher'),
        lines.join('\n'),
      );
    } finally {
      await queue.close();
    }
  });

  it('lists the ids of waiting, delayed and leased jobs, not of parked ones', async () => {
    const queue = new EmbeddedJobQueue({ file: path.join(dir, 'live.sqlite'), retry: TEST_RETRY, pollMs: 20 });
    try {
      await queue.publishRaw('live', 'not json', { messageId: 'poison' });
      await queue.publish('live', { n: 1 }, { messageId: 'waiting-1' });
      await queue.publish('other', { n: 2 }, { messageId: 'waiting-2' });
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      await queue.consume(['live'], async () => held, { prefetch: 1 });
      await waitFor('the poison parked', async () => (await queue.depth('live')).parked === 1);
      await waitFor('waiting-1 leased', async () => (await queue.depth('live')).ready === 0);
      assert.deepEqual([...((await queue.liveMessageIds()) ?? [])].sort(), ['waiting-1', 'waiting-2']);
      release();
      await waitFor('waiting-1 done', async () => !(await queue.liveMessageIds()).has('waiting-1'));
    } finally {
      await queue.close();
    }
  });
});
