/**
 * The embedded store's durability without FULL's stop: a repository call that changed rows, and a store
 * transaction, return only after the write-ahead log was synced (here a sync the test holds and releases); a
 * read does not wait for one; a failed sync fails the write with FILE_IO; writes that end while one sync runs
 * share the next. A power cut cannot be made here: that the sync reaches the disk is the kernel's fdatasync.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteDatabase, type SqliteDatabase } from '../../shared/store/embedded/sqlite-database.js';
import { SqliteTransactions } from '../../shared/store/embedded/sqlite-transactions.js';
import { WalSync } from '../../shared/store/embedded/sqlite-wal-sync.js';

/** A sync the test controls: each call waits until released (or failed). */
function heldSync() {
  const calls: { file: string; release: () => void; fail: (e: Error) => void }[] = [];
  const syncFile = (file: string) =>
    new Promise<void>((resolve, reject) => calls.push({ file, release: resolve, fail: reject }));
  return { calls, syncFile };
}

/** Whether `promise` has settled after the event loop ran a little. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await new Promise((resolve) => setTimeout(resolve, 20));
  return done;
}

describe('embedded store: writes wait for the WAL sync', () => {
  let dir: string;
  let db: SqliteDatabase;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlite-wal-sync-'));
    db = openSqliteDatabase(path.join(dir, 'signservice.sqlite'));
    db.exec('CREATE TABLE probe (x INTEGER)');
  });

  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A gated repository over the probe table. */
  function probe(tx: SqliteTransactions) {
    return tx.gate({
      insert: async (x: number) => void db.prepare('INSERT INTO probe (x) VALUES (?)').run(x),
      count: async () => db.prepare('SELECT COUNT(*) FROM probe').pluck().get() as number,
    });
  }

  it('runs in WAL mode with synchronous=NORMAL (the sync is ours)', () => {
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('synchronous', { simple: true }), 1);
  });

  it('a write returns after the sync of the WAL, a read at once', async () => {
    const held = heldSync();
    const walFile = path.join(dir, 'signservice.sqlite-wal');
    const tx = new SqliteTransactions(db, new WalSync(walFile, held.syncFile));
    const repo = probe(tx);
    const write = repo.insert(1);
    assert.equal(await settled(write), false, 'the write waits for the sync');
    assert.equal(held.calls.length, 1);
    assert.equal(held.calls[0]!.file, walFile);
    assert.equal(await repo.count(), 1, 'a read waits for nothing (and sees the committed row)');
    assert.equal(held.calls.length, 1, 'no sync for a read');
    held.calls[0]!.release();
    await write;
  });

  it('a transaction returns after its COMMIT was synced; writes during a sync share the next one', async () => {
    const held = heldSync();
    const sync = new WalSync(path.join(dir, 'signservice.sqlite-wal'), held.syncFile);
    const tx = new SqliteTransactions(db, sync);
    const repo = probe(tx);
    const first = tx.run(async () => {
      await repo.insert(1);
      await repo.insert(2);
    });
    assert.equal(await settled(first), false);
    assert.equal(held.calls.length, 1, 'one sync for the whole transaction, after COMMIT');
    // Three writes end while that sync runs: they need a sync begun after them, one for the three.
    const more = [repo.insert(3), repo.insert(4), repo.insert(5)];
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(held.calls.length, 1);
    held.calls[0]!.release();
    await first;
    assert.equal(await settled(Promise.all(more)), false, 'the first sync may have begun before them');
    assert.equal(held.calls.length, 2);
    held.calls[1]!.release();
    await Promise.all(more);
    assert.equal(sync.count, 2);
  });

  it('a sync that fails fails the write with FILE_IO', async () => {
    const held = heldSync();
    const tx = new SqliteTransactions(db, new WalSync(path.join(dir, 'signservice.sqlite-wal'), held.syncFile));
    const write = probe(tx).insert(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    held.calls[0]!.fail(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
    await assert.rejects(write, (error: { code?: string; message?: string }) => {
      assert.equal(error.code, 'FILE_IO');
      assert.match(error.message ?? '', /could not be made durable.*signservice\.sqlite-wal/);
      return true;
    });
  });

  it('the real sync: fdatasync of the WAL file', async () => {
    const sync = new WalSync(path.join(dir, 'signservice.sqlite-wal'));
    const repo = probe(new SqliteTransactions(db, sync));
    await repo.insert(1);
    assert.equal(sync.count, 1);
    await new WalSync(path.join(dir, 'missing-wal')).sync();
  });
});
