/**
 * One round of the recovery sweep on a real embedded store and queue (and RabbitMQ for the rule of a queue
 * that cannot list its jobs): which requests are queued again, which blobs and temporary files go, and
 * that a parked job fails its open request. Requests are made directly in the store, in the states a crash
 * leaves them in.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateMasterKeyBytes, MasterKey } from '../../shared/crypto/master-key.js';
import type { SignRequest } from '../../shared/domain/sign-request.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { silentLogger } from '../../shared/logger.js';
import { AmqpJobQueue } from '../../shared/queue/amqp/amqp-queue.js';
import { EmbeddedJobQueue } from '../../shared/queue/embedded/embedded-queue.js';
import type { JobQueue } from '../../shared/queue/queue-port.js';
import { signedBlobKey } from '../../shared/store/blob-key.js';
import { storeKeysFor } from '../../shared/store/create-store.js';
import { openEmbeddedStore } from '../../shared/store/embedded/embedded-store.js';
import type { Store } from '../../shared/store/store-ports.js';
import type { PipelineDeps } from '../../worker/pipeline-context.js';
import { sweepOnce } from '../../worker/recovery/recovery-sweep.js';
import { deleteByPrefix, RABBITMQ_URL, requireRabbitMq } from '../queue/support/rabbitmq.js';
import { waitFor } from '../queue/support/wait-for.js';
import { makeSignRequest } from '../store/sign-request-contract.js';

const MINUTE = 60_000;
const sha = () => crypto.randomBytes(32).toString('hex');

describe('recovery sweep (one round)', function () {
  this.timeout(60_000);
  let dir: string;
  let store: Store;
  let queue: EmbeddedJobQueue;
  const now = new Date('2025-03-01T12:00:00Z');
  const old = new Date(now.getTime() - 10 * MINUTE);

  const deps = (q: JobQueue) => ({
    store,
    queue: q,
    pipeline: {
      store,
      logger: silentLogger,
      notifier: { signed: async () => {}, failed: async () => {} },
    } as unknown as PipelineDeps,
    logger: silentLogger,
    routes: () => ['internal'],
    intervalMs: MINUTE,
    now: () => now,
  });
  const request = async (overrides: Partial<SignRequest>) => {
    const r = makeSignRequest({ route: 'internal', createdAt: old, updatedAt: old, ...overrides });
    await store.signRequests.create(r);
    return r;
  };

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-sweep-'));
    const keys = storeKeysFor(MasterKey.fromBytes(generateMasterKeyBytes()));
    store = await openEmbeddedStore(path.join(dir, 'signservice.sqlite'), keys);
    queue = new EmbeddedJobQueue({ file: path.join(dir, 'queue.sqlite') });
  });

  afterEach(async () => {
    await queue.close();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('queues again open requests without a job, and only those', async () => {
    const lost = await request({ state: 'approved' });
    const lostSigned = await request({ state: 'signed', signedSha256: sha() });
    const withJob = await request({ state: 'signing' });
    await queue.publish('internal', { requestId: withJob.id }, { messageId: `${withJob.id}.approved` });
    const young = await request({ state: 'approved', updatedAt: new Date(now.getTime() - 1000) });
    await request({ state: 'completed' });
    await request({ state: 'awaiting_signer' });
    const report = await sweepOnce(deps(queue));
    assert.deepEqual([...report.requeued].sort(), [lost.id, lostSigned.id].sort());
    const live = await queue.liveMessageIds();
    assert.ok([...live].some((id) => id.startsWith(`${lost.id}.recovered.`)));
    assert.ok(![...live].some((id) => id.startsWith(young.id)), 'a request younger than the grace is left alone');
    assert.deepEqual((await sweepOnce(deps(queue))).requeued, [], 'a queued request is not queued twice');
  });

  it('removes blobs nobody will deliver and leftovers of dead writers; keeps what an open request needs', async () => {
    const recorded = sha();
    const signed = await request({ state: 'signed', signedSha256: recorded });
    const signing = await request({ state: 'signing' });
    const done = await request({ state: 'completed', signedSha256: sha() });
    const keep = [signedBlobKey(signed.id, recorded), signedBlobKey(signing.id, sha()), 'not-a-signed-document'];
    const drop = [
      signedBlobKey(signed.id, sha()),
      signedBlobKey(done.id, done.signedSha256 as string),
      signedBlobKey('gone', sha()),
    ];
    for (const key of [...keep, ...drop]) await store.blobs.put(key, Buffer.from(key));
    const blobs = path.join(dir, 'blobs');
    fs.writeFileSync(path.join(blobs, `.${keep[0]}.999999999.0123456789ab.tmp`), 'half');
    const report = await sweepOnce(deps(queue));
    assert.equal(report.blobsRemoved, drop.length);
    assert.equal(report.leftoversRemoved, 1);
    assert.deepEqual(fs.readdirSync(blobs).sort(), [...keep].sort());
  });

  it('fails the open request of a parked job with the reason, once', async () => {
    const open = await request({ state: 'approved' });
    const finished = await request({ state: 'completed' });
    const parking = new EmbeddedJobQueue({ file: path.join(dir, 'queue.sqlite'), pollMs: 20 });
    await parking.consume(['internal'], async () => {
      throw new AppError(ErrorCode.PDF_DAMAGED, 'broken');
    });
    for (const r of [open, finished]) {
      await queue.publish('internal', { type: 'sign-request', version: 1, requestId: r.id, route: 'internal' });
    }
    await waitFor('two parked jobs', async () => (await queue.depth('internal')).parked === 2);
    await parking.close();
    const report = await sweepOnce(deps(queue));
    assert.equal(report.parkedFailed.length, 1);
    const failed = await store.signRequests.get(open.id);
    assert.equal(failed?.state, 'failed');
    assert.equal(failed?.failure?.code, 'JOB_PARKED');
    assert.equal((await store.signRequests.get(finished.id))?.state, 'completed');
    assert.deepEqual((await sweepOnce(deps(queue))).parkedFailed, []);
  });

  it('with a queue that cannot list its jobs (RabbitMQ), queues a request once it stayed unchanged ten intervals', async () => {
    await requireRabbitMq();
    const prefix = `signservice-sweep-${crypto.randomBytes(4).toString('hex')}`;
    const amqp = new AmqpJobQueue({ url: RABBITMQ_URL, namePrefix: prefix });
    try {
      const stale = await request({ state: 'approved', updatedAt: new Date(now.getTime() - 11 * MINUTE) });
      await request({ state: 'approved', updatedAt: new Date(now.getTime() - 9 * MINUTE) });
      assert.deepEqual((await sweepOnce(deps(amqp))).requeued, [stale.id]);
      assert.equal((await amqp.depth('internal')).ready, 1);
      assert.deepEqual((await sweepOnce(deps(amqp))).requeued, [], 'touched when queued: not again before it is stale');
    } finally {
      await amqp.close();
      await deleteByPrefix(prefix).catch(() => undefined);
    }
  });
});
