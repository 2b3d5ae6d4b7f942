/**
 * Test support: a small file system of its own — a tmpfs mounted on a fresh directory (the tests run as
 * root, as CI does) — that a test can fill to the last byte and free again, to see what the service does
 * on a full disk. No mount permission is a clear failure naming the command, never a skip.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SmallDisk {
  /** The mounted directory. */
  readonly dir: string;
  /** Writes a filler file until the file system refuses (ENOSPC); returns the bytes it took. */
  fill(): number;
  /** Removes the filler. */
  free(): void;
  /** Bytes still free for an unprivileged writer. */
  available(): number;
  /** Unmounts and removes the directory. */
  dispose(): Promise<void>;
}

/** Mounts a tmpfs of `megabytes` on a new directory under the system's temp directory. */
export async function mountSmallDisk(megabytes: number, name = 'disk'): Promise<SmallDisk> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `signservice-${name}-`));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m,mode=0755`, 'tmpfs', dir]);
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `cannot mount a ${megabytes} MB tmpfs on ${dir} (the full-disk tests need root, as CI runs them): ` +
        `${(error as { stderr?: string }).stderr?.trim() || (error as Error).message}`,
    );
  }
  const filler = path.join(dir, 'filler.bin');
  return {
    dir,
    fill() {
      const fd = fs.openSync(filler, 'a');
      try {
        return fillUp(fd);
      } finally {
        fs.closeSync(fd);
      }
    },
    free() {
      fs.rmSync(filler, { force: true });
    },
    available() {
      const stats = fs.statfsSync(dir);
      return stats.bavail * stats.bsize;
    },
    async dispose() {
      await run('umount', ['-l', dir]).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Writes smaller and smaller chunks until not one more byte fits; returns the bytes written. */
function fillUp(fd: number): number {
  let taken = 0;
  for (let size = 1024 * 1024; size >= 1; size = Math.floor(size / 2)) {
    const chunk = Buffer.alloc(size, 0x5a);
    for (;;) {
      try {
        taken += fs.writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
        break;
      }
    }
  }
  return taken;
}
