/**
 * A signer's answer races the service's own writes to the waiting request (the worker's confirmation with the
 * portal, the notice sweep): a lost compare-and-set against one of those is retried on the new version, never
 * reported as "answered meanwhile"; a real answer that came first still wins. Real embedded store and queue;
 * the other writer is a real update of the stored request, made at the moment the answer reads it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateMasterKeyBytes, MasterKey } from '../../shared/crypto/master-key.js';
import type { SignRequest } from '../../shared/domain/sign-request.js';
import { ErrorCode } from '../../shared/errors.js';
import { EmbeddedJobQueue } from '../../shared/queue/embedded/embedded-queue.js';
import { rejectSignRequest } from '../../shared/sign-requests/approve-sign-request.js';
import { answerWhileWaiting } from '../../shared/sign-requests/while-waiting.js';
import { storeKeysFor } from '../../shared/store/create-store.js';
import { openEmbeddedStore } from '../../shared/store/embedded/embedded-store.js';
import type { Store } from '../../shared/store/store-ports.js';
import { makeSignRequest } from '../store/sign-request-contract.js';

const waiting = (): SignRequest =>
  makeSignRequest({ state: 'awaiting_signer', createdAt: new Date(), updatedAt: new Date() });

describe('answering a waiting request while the service writes to it', () => {
  let dir: string;
  let store: Store;
  let queue: EmbeddedJobQueue;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-answer-race-'));
    store = await openEmbeddedStore(
      path.join(dir, 'signservice.sqlite'),
      storeKeysFor(MasterKey.fromBytes(generateMasterKeyBytes())),
    );
    queue = new EmbeddedJobQueue({ file: path.join(dir, 'queue.sqlite') });
  });

  afterEach(async () => {
    await queue.close();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The store, where each of the first `times` reads of the request is followed by a service write to it. */
  function racedBy(times: number, write: (r: SignRequest) => SignRequest): Store {
    let left = times;
    const get = async (id: string) => {
      const read = await store.signRequests.get(id);
      if (read && left-- > 0) assert.ok(await store.signRequests.update(write(read), read.version));
      return read;
    };
    return { ...store, signRequests: { ...store.signRequests, get } };
  }

  it('a rejection that lost to the notice sweep is stored on the new version, keeping the sweep’s write', async () => {
    const request = waiting();
    await store.signRequests.create(request);
    const told = new Date().toISOString();
    const raced = racedBy(3, (r) => ({ ...r, notified: { ...r.notified, requested: told } }));
    const rejected = await rejectSignRequest({ store: raced, queue, requestId: request.id, reason: 'Wrong amount' });
    const stored = await store.signRequests.get(request.id);
    assert.equal(stored?.state, 'rejected');
    assert.equal(stored?.version, rejected.version);
    assert.equal(stored?.version, request.version + 4, 'three service writes and the rejection');
    assert.equal(stored?.notified?.requested, told);
    const entries = [];
    for await (const e of store.signLog.list({})) entries.push(e.action);
    assert.deepEqual(entries, ['rejected']);
  });

  it('an answer that came first wins: the late one is refused as answered, naming the state', async () => {
    const request = waiting();
    await store.signRequests.create(request);
    const raced = racedBy(1, (r) => ({ ...r, state: 'approved' }));
    await assert.rejects(
      rejectSignRequest({ store: raced, queue, requestId: request.id, reason: 'Too late' }),
      (e: Error & { code?: string }) =>
        e.code === ErrorCode.SIGN_REQUEST_NOT_PENDING && /answered meanwhile \(approved\)/.test(e.message),
    );
    assert.equal((await store.signRequests.get(request.id))?.state, 'approved');
  });

  it('gives up after a bounded number of versions and says what it last saw', async () => {
    const request = waiting();
    await store.signRequests.create(request);
    let tries = 0;
    const outcome = await answerWhileWaiting(store, request, async (current) => {
      tries++;
      assert.ok(await store.signRequests.update({ ...current }, current.version));
      return undefined;
    });
    assert.equal(outcome.stored, undefined);
    assert.ok(tries > 1 && tries < 10, `${tries} tries`);
    assert.equal('last' in outcome && outcome.last?.state, 'awaiting_signer');
  });
});
