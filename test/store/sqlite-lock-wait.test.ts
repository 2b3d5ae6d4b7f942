/**
 * The embedded store waits for another connection's write lock on a timer, not in SQLite's sleep: while the
 * file is busy the process keeps serving its other work, and the write goes through as soon as the lock is
 * free. The other connection here lives in the same process on purpose: with SQLite's blocking busy handler
 * the holder could never commit (its thread would be asleep in our write), so the write would fail after 15 s.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MasterKey } from '../../shared/crypto/master-key.js';
import { storeKeysFor } from '../../shared/store/create-store.js';
import { openEmbeddedStore } from '../../shared/store/embedded/embedded-store.js';
import { isSqliteBusy, SqliteLockWait } from '../../shared/store/embedded/sqlite-lock-wait.js';
import type { Store } from '../../shared/store/store-ports.js';
import { makeSignRequest } from './sign-request-contract.js';

/** Runs `work` while counting how often a 5 ms interval fires meanwhile (the event loop's liveliness). */
async function counted<T>(work: Promise<T>): Promise<{ result: T; ticks: number; ms: number }> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const began = performance.now();
  try {
    const result = await work;
    return { result, ticks, ms: performance.now() - began };
  } finally {
    clearInterval(timer);
  }
}

describe('embedded store: waiting for the write lock', function () {
  this.timeout(60_000);
  let dir: string;
  let file: string;
  let store: Store;
  let other: Database.Database;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlite-lock-wait-'));
    file = path.join(dir, 'signservice.sqlite');
    store = await openEmbeddedStore(file, storeKeysFor(MasterKey.fromBytes(crypto.randomBytes(32))));
    other = new Database(file);
  });

  afterEach(async () => {
    if (other.inTransaction) other.exec('ROLLBACK');
    other.close();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The other connection takes the write lock now and commits after `ms`. */
  function holdLock(ms: number): void {
    other.exec('BEGIN IMMEDIATE');
    setTimeout(() => other.exec('COMMIT'), ms);
  }

  it('a write waits on a timer while another connection writes, then goes through', async () => {
    const request = makeSignRequest();
    holdLock(300);
    const { ticks, ms } = await counted(store.signRequests.create(request));
    assert.ok(ms >= 250, `the write waited for the lock (${ms.toFixed(0)} ms)`);
    assert.ok(ticks >= 20, `the event loop kept running while it waited (${ticks} ticks of 5 ms)`);
    assert.equal((await store.signRequests.get(request.id))?.id, request.id);
    // A compare-and-set waits the same way and is decided on the row as it is once the lock is free.
    holdLock(200);
    const updated = await counted(store.signRequests.update({ ...request, state: 'signing' }, request.version));
    assert.equal(updated.result, true);
    assert.ok(updated.ticks >= 10, `${updated.ticks} ticks`);
  });

  it('a store transaction waits for the lock the same way, and nothing of it runs before', async () => {
    const request = makeSignRequest();
    holdLock(300);
    let began = 0;
    const { ticks } = await counted(
      store.transaction(async () => {
        began = performance.now();
        await store.signRequests.create(request);
      }),
    );
    assert.ok(began > 0);
    assert.ok(ticks >= 20, `the event loop kept running while BEGIN IMMEDIATE waited (${ticks} ticks)`);
    assert.equal((await store.signRequests.get(request.id))?.state, request.state);
  });

  it('gives up after its timeout with the busy error, and leaves the connection its own timeout', async () => {
    const db = new Database(file);
    try {
      const wait = new SqliteLockWait(db, 200);
      db.exec('CREATE TABLE probe (x INTEGER)');
      other.exec('BEGIN IMMEDIATE');
      const began = performance.now();
      const insert = () => db.exec('INSERT INTO probe (x) VALUES (1)');
      await assert.rejects(wait.run(insert), (error: unknown) => isSqliteBusy(error));
      const waited = performance.now() - began;
      assert.ok(waited >= 200 && waited < 2_000, `waited ${waited.toFixed(0)} ms`);
      assert.equal(db.pragma('busy_timeout', { simple: true }), 200);
      other.exec('COMMIT');
      await wait.run(insert);
      assert.equal((db.prepare('SELECT COUNT(*) AS n FROM probe').get() as { n: number }).n, 1);
    } finally {
      db.close();
    }
  });
});
