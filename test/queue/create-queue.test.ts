/** The one switch between the queue adapters, driven by the parsed configuration. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../shared/config.js';
import { createQueue } from '../../shared/queue/create-queue.js';
import { deleteByPrefix, RABBITMQ_URL, requireRabbitMq } from './support/rabbitmq.js';

describe('createQueue', () => {
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-create-queue-'));
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('opens the embedded queue in <dataDir>/queue.sqlite when no AMQP_URL is set', async () => {
    const config = loadConfig({ SIGNSERVICE_DATA_DIR: dir });
    const queue = await createQueue(config.queue, { dataDir: config.dataDir });
    try {
      assert.equal(queue.kind, 'embedded');
      await queue.publish('internal', { type: 'sign-request', version: 1, requestId: 'r1', route: 'internal' });
      assert.equal((await queue.depth('internal')).ready, 1);
      assert.ok(fs.existsSync(path.join(dir, 'queue.sqlite')));
    } finally {
      await queue.close();
    }
  });

  it('opens the RabbitMQ queue when AMQP_URL is set', async () => {
    await requireRabbitMq();
    const config = loadConfig({
      SIGNSERVICE_DATA_DIR: dir,
      AMQP_URL: RABBITMQ_URL,
      MONGO_URL: 'mongodb://127.0.0.1:27017',
      SIGNSERVICE_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
    });
    const prefix = `signservice-test-${process.pid}-create`;
    const queue = await createQueue(config.queue, { dataDir: config.dataDir, namePrefix: prefix });
    try {
      assert.equal(queue.kind, 'amqp');
      await queue.publish('internal', { type: 'sign-request', version: 1, requestId: 'r1', route: 'internal' });
      assert.equal((await queue.depth('internal')).ready, 1);
    } finally {
      await queue.close();
      await deleteByPrefix(prefix);
    }
  });
});
