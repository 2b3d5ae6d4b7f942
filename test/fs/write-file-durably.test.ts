/**
 * writeFileDurably leaves no temporary file where code can still run — a failed write (here: a full disk),
 * a process that exits in the middle of a write — and removeTempLeftovers removes what a killed writer left,
 * while a write in progress in a live process is kept.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseTempName, removeTempLeftovers, writeFileDurably } from '../../shared/fs/write-file-durably.js';
import { mountSmallDisk } from '../support/small-disk.js';

const MODULE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared/fs/write-file-durably.js');

/** Hidden temporary files in `dir`. */
const temps = (dir: string) => fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'));

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('writeFileDurably and its temporary files', function () {
  this.timeout(60_000);
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-durable-'));
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes the file and leaves no temporary file; its temp names carry the writer', async () => {
    await writeFileDurably(path.join(dir, 'out.pdf'), Buffer.from('%PDF-1.7'));
    assert.deepEqual(fs.readdirSync(dir), ['out.pdf']);
    assert.deepEqual(parseTempName(`.out.pdf.${process.pid}.0123456789ab.tmp`), {
      target: 'out.pdf',
      pid: process.pid,
    });
    assert.equal(parseTempName('out.pdf'), undefined);
  });

  it('links a file that durably holds the bytes instead of writing them again, and repeating it leaves one name', async () => {
    const source = path.join(dir, 'blob');
    const bytes = Buffer.from('%PDF-1.7 signed');
    fs.writeFileSync(source, bytes, { mode: 0o600 });
    const target = path.join(dir, 'out.pdf');
    fs.writeFileSync(target, 'old');
    await writeFileDurably(target, bytes, { mode: 0o644, linkFrom: source });
    const [out, blob] = [fs.statSync(target), fs.statSync(source)];
    assert.equal(out.ino, blob.ino, 'the output is the blob file under a second name');
    assert.equal(out.nlink, 2);
    assert.equal(out.mode & 0o777, 0o644);
    assert.deepEqual(fs.readFileSync(target), bytes);
    // A redelivery: rename(2) of two names of one file does nothing, so the temporary name must go by hand.
    await writeFileDurably(target, bytes, { mode: 0o644, linkFrom: source });
    assert.deepEqual(fs.readdirSync(dir).sort(), ['blob', 'out.pdf']);
    assert.equal(fs.statSync(target).nlink, 2);
    fs.rmSync(source);
    assert.deepEqual(fs.readFileSync(target), bytes, 'the output outlives the blob');
  });

  it('writes the bytes when the file cannot be linked: on another file system, or gone', async () => {
    const disk = await mountSmallDisk(4, 'durable-link');
    try {
      const source = path.join(dir, 'blob');
      const bytes = Buffer.from('%PDF-1.7 signed elsewhere');
      fs.writeFileSync(source, bytes);
      const target = path.join(disk.dir, 'out.pdf');
      await writeFileDurably(target, bytes, { mode: 0o644, linkFrom: source });
      assert.deepEqual(fs.readFileSync(target), bytes);
      assert.equal(fs.statSync(source).nlink, 1, 'another file system: written, not linked');
      assert.deepEqual(fs.readdirSync(disk.dir), ['out.pdf']);
      const again = path.join(dir, 'again.pdf');
      await writeFileDurably(again, bytes, { mode: 0o644, linkFrom: path.join(dir, 'missing') });
      assert.deepEqual(fs.readFileSync(again), bytes);
      assert.deepEqual(temps(dir), []);
    } finally {
      await disk.dispose();
    }
  });

  it('removes its temporary file when the disk is full, and the target stays as it was', async () => {
    const disk = await mountSmallDisk(1, 'durable-full');
    try {
      const target = path.join(disk.dir, 'out.pdf');
      fs.writeFileSync(target, 'old');
      await assert.rejects(writeFileDurably(target, Buffer.alloc(3 * 1024 * 1024, 1)), { code: 'ENOSPC' });
      assert.deepEqual(fs.readdirSync(disk.dir), ['out.pdf']);
      assert.equal(fs.readFileSync(target, 'utf8'), 'old');
    } finally {
      await disk.dispose();
    }
  });

  it('removes the temporary file of a write in progress when the process exits', async () => {
    // Exit (3) the moment the temporary file exists, mid-write; 4 would mean the write finished first.
    const script = `
      import fs from 'node:fs';
      import path from 'node:path';
      import { writeFileDurably } from ${JSON.stringify(pathToFileURL(MODULE).href)};
      const target = process.argv[1];
      setInterval(() => {
        if (fs.readdirSync(path.dirname(target)).some((n) => n.endsWith('.tmp'))) process.exit(3);
      }, 1);
      await writeFileDurably(target, Buffer.alloc(256 * 1024 * 1024, 7));
      process.exit(4);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, path.join(dir, 'big.pdf')]);
    const code = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(code, 3, 'the process exited while the temporary file was being written');
    assert.deepEqual(temps(dir), []);
  });

  it("removes a dead writer's leftover and keeps a live writer's unless it is older than `before`", async () => {
    const dead = `.a.pdf.${deadPid()}.0123456789ab.tmp`;
    const live = `.b.pdf.${process.ppid}.0123456789ab.tmp`;
    const foreign = '.c.pdf.0c1e2a9b-uuid.tmp';
    for (const name of [dead, live, foreign, 'a.pdf']) fs.writeFileSync(path.join(dir, name), 'x');
    assert.deepEqual(await removeTempLeftovers(dir, { target: 'b.pdf' }), []);
    assert.deepEqual(await removeTempLeftovers(dir), [dead]);
    assert.deepEqual(temps(dir).sort(), [live, foreign].sort());
    assert.deepEqual(await removeTempLeftovers(dir, { before: new Date(Date.now() + 60_000) }), [live]);
    assert.deepEqual(temps(dir), [foreign], 'names writeFileDurably never makes are left alone');
    assert.deepEqual(await removeTempLeftovers(path.join(dir, 'missing')), []);
  });
});
