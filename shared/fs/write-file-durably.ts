/**
 * Replaces a file so that, after a crash at any moment, it holds either its old or its new bytes,
 * complete: the bytes go to a temporary file in the same directory, which is fsynced, renamed over the
 * target and followed by an fsync of the directory [POSIX rename(2): the replacement is atomic; the
 * directory fsync makes the new name itself durable]. Errors are the file system's own; callers wrap them.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

export interface WriteDurablyOptions {
  /** Permission bits of a newly written file. @default 0o600 */
  mode?: number;
}

/** Writes `bytes` to `file` atomically and durably; the directory must exist. */
export async function writeFileDurably(file: string, bytes: Buffer, options: WriteDurablyOptions = {}): Promise<void> {
  const dir = path.dirname(file);
  // A leading dot and a random part: hidden, and never the name of a real file or blob.
  const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(temp, 'wx', options.mode ?? 0o600);
  try {
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  const dirHandle = await fs.open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}
