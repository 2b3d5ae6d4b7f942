/**
 * The RabbitMQ adapter on the machine's broker: the queue contract, then broker failures under load —
 * connections dropped (`rabbitmqctl close_all_connections`) and the broker stopped and started
 * (`stop_app` / `start_app`) while 300 jobs flow — and a publisher waiting across an outage.
 * Every run uses its own name prefix and deletes its queues afterwards.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import amqplib from 'amqplib';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { createLogger } from '../../shared/logger.js';
import { AmqpJobQueue, type AmqpQueueOptions } from '../../shared/queue/amqp/amqp-queue.js';
import { DELIVERY_LIMIT } from '../../shared/queue/amqp/amqp-topology.js';
import type { DeliveredJob, ParkedJob } from '../../shared/queue/queue-port.js';
import { describeQueueContract, TEST_RETRY } from './queue-contract.js';
import { deleteByPrefix, ensureBrokerRunning, RABBITMQ_URL, rabbitmqctl, requireRabbitMq } from './support/rabbitmq.js';
import { measureThroughput } from './support/throughput.js';
import { waitFor } from './support/wait-for.js';

const PREFIX = `signservice-test-${randomBytes(4).toString('hex')}`;

function openAmqp(options: Partial<AmqpQueueOptions> = {}): AmqpJobQueue {
  return new AmqpJobQueue({ url: RABBITMQ_URL, namePrefix: PREFIX, retry: TEST_RETRY, ...options });
}

describe('AmqpJobQueue (RabbitMQ)', function () {
  this.timeout(180_000);

  before(async () => {
    await requireRabbitMq();
  });

  after(async () => {
    await ensureBrokerRunning();
    const deleted = await deleteByPrefix(PREFIX);
    assert.ok(deleted.queues > 0, 'the run declared no queues under its prefix');
  });

  describeQueueContract('amqp', async ({ retry }) => {
    const queue = openAmqp({ retry });
    return {
      queue,
      publishRaw: (route, content) => queue.publishRaw(route, Buffer.from(content, 'utf8')),
      abandon: () => queue.abandon(),
    };
  });

  describe('broker failures under load', () => {
    /** Runs 300 jobs from one queue instance to another and calls `disrupt` when a third is handled. */
    async function flowThrough(label: string, disrupt: () => Promise<void>): Promise<void> {
      const logs: string[] = [];
      const logger = createLogger({ level: 'debug', sink: (line) => logs.push(line) });
      const producer = openAmqp({ logger, publishTimeoutMs: 90_000, connectionName: `${PREFIX}-producer` });
      const worker = openAmqp({ logger, connectionName: `${PREFIX}-worker` });
      const route = `load-${label}`;
      const handled = new Map<string, number>();
      try {
        const consumer = await worker.consume([route], async (job) => {
          handled.set(job.messageId, (handled.get(job.messageId) ?? 0) + 1);
          await sleep(10);
        });
        const ids = Array.from({ length: 300 }, (_, i) => `${label}-${i}`);
        const publishing = Promise.all(
          Array.from({ length: 5 }, async (_, lane) => {
            for (let i = lane; i < ids.length; i += 5) {
              await producer.publish(route, { i }, { messageId: ids[i] as string });
              await sleep(20);
            }
          }),
        );
        await waitFor('a third of the jobs', () => handled.size >= 100, 30_000);
        await disrupt();
        await publishing;
        await waitFor('all 300 jobs', () => handled.size === 300, 90_000);
        await sleep(500); // let late redeliveries show up in the count
        await consumer.close();
        assert.deepEqual(
          ids.filter((id) => !handled.has(id)),
          [],
        );
        assert.equal(handled.size, 300);
        const duplicates = [...handled.values()].reduce((sum, count) => sum + count - 1, 0);
        const lost = logs.filter((line) => line.includes('amqp: connection lost')).length;
        assert.ok(lost >= 2, `expected both connections to be lost and recovered, saw ${lost} losses`);
        console.log(`      ${label}: 300/300 handled, ${duplicates} redelivered duplicates, ${lost} connection losses`);
      } finally {
        await producer.close();
        await worker.close();
      }
    }

    it('loses no job when the broker closes every connection while 300 jobs flow', async () => {
      await flowThrough('close-all', async () => {
        await rabbitmqctl('close_all_connections', 'queue test: connections dropped under load');
      });
    });

    it('loses no job when the broker application is stopped and started while 300 jobs flow', async () => {
      await flowThrough('stop-start', async () => {
        await rabbitmqctl('stop_app');
        try {
          await sleep(1500);
        } finally {
          await ensureBrokerRunning();
        }
      });
    });

    it('a publish during an outage waits and resolves after the broker is back, or fails after its timeout', async () => {
      const route = 'outage';
      const patient = openAmqp({ publishTimeoutMs: 90_000 });
      const impatient = openAmqp({ publishTimeoutMs: 1500 });
      const worker = openAmqp();
      try {
        await patient.publish(route, { warm: 1 });
        await impatient.publish(route, { warm: 2 });
        await rabbitmqctl('stop_app');
        let during: Promise<unknown> | undefined;
        let settled = false;
        try {
          during = patient.publish(route, { during: 'outage' }, { messageId: 'during-outage' }).then(
            () => 'resolved',
            (err: unknown) => err,
          );
          void during.then(() => {
            settled = true;
          });
          const t0 = Date.now();
          await assert.rejects(impatient.publish(route, { x: 1 }), (err: unknown) => {
            assert.ok(err instanceof AppError);
            assert.equal(err.code, ErrorCode.QUEUE_UNAVAILABLE);
            return true;
          });
          const waited = Date.now() - t0;
          assert.ok(
            waited >= 1400 && waited < 10_000,
            `the impatient publish failed after ${waited} ms (timeout 1500)`,
          );
          assert.equal(settled, false, 'a publish resolved while the broker was down');
        } finally {
          await ensureBrokerRunning();
        }
        assert.equal(await during, 'resolved');
        const got: DeliveredJob[] = [];
        const consumer = await worker.consume([route], async (job) => void got.push(job));
        await waitFor('the job published during the outage', () => got.some((j) => j.messageId === 'during-outage'));
        await consumer.close();
      } finally {
        await Promise.all([patient.close(), impatient.close(), worker.close()]);
      }
    });
  });

  it('parks a message that was delivered DELIVERY_LIMIT times without an outcome', async () => {
    const queue = openAmqp();
    const route = 'delivery-limit';
    const model = await amqplib.connect(RABBITMQ_URL);
    try {
      await queue.publish(route, { crash: 'every time' }, { messageId: 'crasher' });
      // A worker that dies holding the message looks to the broker like a requeue: nack it as often.
      const ch = await model.createChannel();
      for (let i = 0; i < DELIVERY_LIMIT + 5; i++) {
        const msg = await ch.get(`${PREFIX}.${route}`, { noAck: false });
        if (!msg) break;
        ch.nack(msg, false, true);
      }
      await ch.close();
      await waitFor('the message parked', async () => (await queue.depth(route)).parked === 1);
      const [parked] = await queue.listParked(route);
      assert.equal(parked?.messageId, 'crasher');
      assert.deepEqual(parked?.body, { crash: 'every time' });
      assert.match(parked?.reason ?? '', /^delivery limit exceeded/);
      assert.equal((await queue.depth(route)).ready, 0);
    } finally {
      await model.close();
      await queue.close();
    }
  });

  it('parks a message on its last delivery before the limit itself, telling the parked-job hook', async () => {
    const queue = openAmqp();
    const route = 'last-delivery';
    const model = await amqplib.connect(RABBITMQ_URL);
    try {
      await queue.publish(route, { crash: 'again' }, { messageId: 'nearly-dead' });
      const ch = await model.createChannel();
      for (let i = 0; i < DELIVERY_LIMIT - 1; i++) {
        const msg = await ch.get(`${PREFIX}.${route}`, { noAck: false });
        if (msg) ch.nack(msg, false, true);
      }
      await ch.close();
      const told: ParkedJob[] = [];
      let called = false;
      const handler = async () => {
        called = true;
      };
      const consumer = await queue.consume([route], handler, { onParked: async (job) => void told.push(job) });
      await waitFor('the message parked', async () => (await queue.depth(route)).parked === 1);
      await consumer.close();
      assert.equal(called, false, 'a job that killed its workers is not run once more');
      assert.equal(told[0]?.messageId, 'nearly-dead');
      assert.match(told[0]?.reason ?? '', /^delivery limit exceeded: delivered \d+ times/);
      assert.equal((await queue.listParked(route))[0]?.reason, told[0]?.reason);
    } finally {
      await model.close();
      await queue.close();
    }
  });

  it('fails a publish that no queue takes instead of losing the message', async () => {
    const queue = openAmqp({ publishTimeoutMs: 5000 });
    const route = 'vanishing';
    const model = await amqplib.connect(RABBITMQ_URL);
    try {
      await queue.publish(route, { n: 1 });
      const ch = await model.createChannel();
      await ch.deleteQueue(`${PREFIX}.${route}`); // deleted behind the adapter's back
      await ch.close();
      await assert.rejects(queue.publish(route, { n: 2 }, { messageId: 'lost-1' }), (err: unknown) => {
        assert.ok(err instanceof AppError);
        assert.equal(err.code, ErrorCode.QUEUE_UNAVAILABLE);
        assert.match(err.message, /routed message lost-1 to no queue/);
        return true;
      });
      await queue.publish(route, { n: 3 }); // the route is declared again
      assert.equal((await queue.depth(route)).ready, 1);
    } finally {
      await model.close();
      await queue.close();
    }
  });

  it('moves jobs with a no-op handler (throughput figure)', async () => {
    const queue = openAmqp();
    try {
      const figures = await measureThroughput(queue, 'throughput', 2000);
      console.log(`      amqp: publish ${figures.publishPerSecond} jobs/s, consume ${figures.consumePerSecond} jobs/s`);
    } finally {
      await queue.close();
    }
  });
});
