/**
 * "Write and confirm": on a full disk (a small tmpfs) a write whose returned row matters throws and
 * stores nothing instead of handing back a row that was never committed, and every `… RETURNING` statement
 * in the SQLite adapters goes through writeAndConfirm (a guard over the sources, so a new one cannot slip in
 * through `.get()` again).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { writeAndConfirm } from '../../shared/sqlite/write-and-confirm.js';
import { mountSmallDisk } from '../support/small-disk.js';

/** The repository root, from dist/test/sqlite. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function sourcesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourcesUnder(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

describe('writeAndConfirm', function () {
  this.timeout(30_000);

  it('on a full disk: throws SQLITE_FULL and stores nothing (no unstored row is handed back)', async () => {
    const disk = await mountSmallDisk(1, 'confirm');
    const db = new Database(path.join(disk.dir, 'x.sqlite'));
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL, pad TEXT)');
      db.prepare('INSERT INTO t (v, pad) VALUES (0, ?)').run('x');
      disk.fill();
      const bump = db.prepare('UPDATE t SET v = v + 1, pad = ? WHERE id = 1 RETURNING v');
      assert.throws(
        () => writeAndConfirm(db, () => bump.get('y'.repeat(200_000))),
        (e: unknown) => (e as { code?: string }).code === 'SQLITE_FULL',
      );
      assert.equal(db.prepare('SELECT v FROM t WHERE id = 1').pluck().get(), 0);
      disk.free();
      assert.deepEqual(
        writeAndConfirm(db, () => bump.get('y')),
        { v: 1 },
      );
      assert.equal(db.prepare('SELECT v FROM t WHERE id = 1').pluck().get(), 1);
    } finally {
      db.close();
      await disk.dispose();
    }
  });

  it('every RETURNING statement in the sources is run through writeAndConfirm', () => {
    const offenders = sourcesUnder(path.join(ROOT, 'shared'))
      .filter((file) => /\bRETURNING\b/.test(fs.readFileSync(file, 'utf8')))
      .filter((file) => !file.endsWith(path.join('sqlite', 'write-and-confirm.ts')))
      .filter((file) => !fs.readFileSync(file, 'utf8').includes('writeAndConfirm('));
    assert.deepEqual(offenders, []);
  });
});
