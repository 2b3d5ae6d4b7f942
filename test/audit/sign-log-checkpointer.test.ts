/**
 * When the service checkpoints the sign log (shared/audit/sign-log-checkpointer.ts), on the real embedded
 * store with a settable clock: at start, every N entries, after T minutes when the head moved, at shutdown;
 * never over a log someone rewrote; a timestamp authority that is down (a closed port) leaves the
 * checkpoint untimestamped, and the retry timestamps it once the TSA (openssl behind test/support) is up.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createSignLogCheckpointer, type SignLogCheckpointer } from '../../shared/audit/sign-log-checkpointer.js';
import { verifySignLog } from '../../shared/audit/verify-sign-log.js';
import type { SignLogConfig } from '../../shared/config.js';
import { MasterKey } from '../../shared/crypto/master-key.js';
import { requestTimestamp } from '../../shared/crypto/tsa-client.js';
import { createLogger } from '../../shared/logger.js';
import { storeKeysFor } from '../../shared/store/create-store.js';
import { openEmbeddedStore } from '../../shared/store/embedded/embedded-store.js';
import type { Store } from '../../shared/store/store-ports.js';
import { freePort } from '../support/service-process.js';
import { createTestPki } from '../support/test-pki.js';
import { startTestTsa, type TestTsa } from '../support/tsa-server.js';

const MINUTE = 60_000;

describe('sign log checkpointer: when checkpoints are made', function () {
  this.timeout(120_000);
  let dir: string;
  let n = 0;
  let store: Store;
  let file: string;
  let clock: number;
  let lines: string[];
  const masterKey = MasterKey.fromBytes(crypto.randomBytes(32));
  const logger = () => createLogger({ sink: (line) => lines.push(line) });
  const config: SignLogConfig = { checkpointEveryEntries: 3, checkpointEveryMs: 10 * MINUTE, tsaUrl: undefined };
  const checkpointer = (extra: Partial<Parameters<typeof createSignLogCheckpointer>[0]> = {}): SignLogCheckpointer =>
    createSignLogCheckpointer({
      store,
      masterKey,
      logger: logger(),
      config,
      now: () => new Date(clock),
      tickMs: 3_600_000,
      ...extra,
    });
  const append = async (count: number) => {
    for (let i = 0; i < count; i++) {
      await store.signLog.append({ time: new Date(clock), action: 'signed', actor: { role: 'system' }, outcome: 'ok' });
    }
  };
  const checkpointSeqs = async () => (await store.signLogCheckpoints.list()).map((c) => c.seq);

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sign-log-checkpointer-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    file = path.join(dir, `store-${++n}.sqlite`);
    store = await openEmbeddedStore(file, storeKeysFor(masterKey));
    clock = Date.UTC(2025, 2, 1, 9);
    lines = [];
  });
  afterEach(async () => {
    await store.close();
  });

  it('an empty log gets none; at start a head gets one at once; then one every N entries', async () => {
    const cp = checkpointer();
    await cp.start();
    assert.deepEqual(await checkpointSeqs(), [], 'nothing to checkpoint in an empty log');
    await append(1);
    await cp.tick();
    assert.deepEqual(await checkpointSeqs(), [1], 'the first entry is checkpointed at the next tick');
    await append(2);
    await cp.tick();
    assert.deepEqual(await checkpointSeqs(), [1], '2 entries past the last checkpoint: not yet');
    await append(1);
    await cp.tick();
    assert.deepEqual(await checkpointSeqs(), [1, 4], 'N = 3 entries past it: now');
    await cp.close();
    assert.deepEqual(await checkpointSeqs(), [1, 4], 'nothing moved: no checkpoint at shutdown');
    const restarted = checkpointer();
    await append(1);
    await restarted.start();
    assert.deepEqual(await checkpointSeqs(), [1, 4, 5], 'a head left behind is checkpointed at the next start');
    await restarted.close();
  });

  it('after T minutes if the head moved, and at shutdown', async () => {
    await append(1);
    const cp = checkpointer();
    await cp.start();
    clock += 11 * MINUTE;
    await cp.tick();
    assert.deepEqual(await checkpointSeqs(), [1], 'T passed but the head did not move');
    await append(1);
    clock += 1 * MINUTE;
    await cp.tick();
    assert.deepEqual(await checkpointSeqs(), [1, 2], 'T passed and the head moved');
    await append(1);
    clock += 1 * MINUTE;
    await cp.tick();
    assert.deepEqual(await checkpointSeqs(), [1, 2]);
    await cp.close();
    assert.deepEqual(await checkpointSeqs(), [1, 2, 3], 'graceful shutdown checkpoints the head');
    const report = await verifySignLog(store, masterKey);
    assert.deepEqual([report.ok, report.lastCheckpoint?.seq, report.afterLastCheckpoint], [true, 3, 0]);
  });

  it('two checkpointers on one store (two processes) never store two checkpoints of one head', async () => {
    const [a, b] = [checkpointer(), checkpointer()];
    await append(1);
    await Promise.all([a.start(), b.start()]);
    for (let round = 0; round < 5; round++) {
      await append(3);
      await Promise.all([a.tick(), b.tick()]);
    }
    await Promise.all([a.close(), b.close()]);
    const seqs = await checkpointSeqs();
    assert.deepEqual(seqs, [1, 4, 7, 10, 13, 16]);
    assert.equal((await verifySignLog(store, masterKey)).ok, true);
  });

  it('no checkpoint over a log rewritten behind its back: an error is logged at every tick', async () => {
    await append(2);
    const cp = checkpointer();
    await cp.start();
    await append(3);
    const raw = new Database(file);
    raw.exec('DROP TRIGGER sign_log_no_update');
    raw.exec(`UPDATE sign_log SET body = json_set(body, '$.actor.role', 'admin') WHERE seq = 4`);
    raw.close();
    await cp.tick();
    await cp.close();
    assert.deepEqual(await checkpointSeqs(), [2], 'nothing signed after the rewrite');
    const errors = lines.filter((l) => l.includes('"level":"error"'));
    assert.equal(errors.length, 2, lines.join('\n'));
    assert.match(errors[0]!, /sign log checkpoint failed/);
    assert.match(errors[0]!, /no checkpoint made: the sign log is broken at entry 4: entry 4 was altered/);
  });

  describe('with a timestamp authority', () => {
    let tsa: TestTsa;
    before(async () => {
      tsa = await startTestTsa(await createTestPki());
    });
    after(async () => tsa?.close());

    it('a TSA that is down: the checkpoint is kept without a timestamp, and the retry timestamps it later', async () => {
      let url = `http://127.0.0.1:${await freePort()}/tsa`;
      const cp = checkpointer({
        tickMs: 30_000,
        timestamp: (data) => requestTimestamp(url, data, { timeoutMs: 5_000 }),
      });
      await append(1);
      await cp.start();
      const [pending] = await store.signLogCheckpoints.list();
      assert.equal(pending?.timestamp, undefined, 'stored without a timestamp');
      assert.ok(
        lines.some((l) => /"level":"warn".*stored without a timestamp; will retry/.test(l)),
        lines.join('\n'),
      );
      url = tsa.url;
      await cp.tick();
      assert.equal((await store.signLogCheckpoints.list())[0]?.timestamp, undefined, 'the retry waits its back-off');
      clock += 31_000;
      await cp.tick();
      const [stamped] = await store.signLogCheckpoints.list();
      assert.ok(stamped?.timestamp, 'timestamped by the retry');
      const report = await verifySignLog(store, masterKey);
      assert.equal(report.ok, true, JSON.stringify(report.problem));
      assert.match(report.lastCheckpoint?.timestamp?.authority ?? '', /SignService Test TSA/);
      await append(3);
      await cp.tick();
      assert.ok(
        (await store.signLogCheckpoints.list())[1]?.timestamp,
        'with the TSA up, a new checkpoint is timestamped at once',
      );
      await cp.close();
    });
  });
});
