/**
 * Where a command's output goes: a temporary file renamed into place on success (so a failed run leaves no
 * half-written file), or standard output (waiting for it to drain, so a slow pipe does not fill memory).
 * Text is written in chunks of about 64 KiB.
 */
import fs from 'node:fs';
import { fileIoError } from '../fs/file-error.js';

/** Lines are written in chunks of about this many characters. */
const CHUNK = 64 * 1024;

export interface OutputSink {
  write(text: string): Promise<void>;
  /** Flushes; a file is synced and renamed into place. */
  commit(): Promise<void>;
  /** Drops a temporary file (after an error). */
  abort(): void;
}

/** A sink writing to `file`, or to standard output when undefined. @throws AppError FILE_IO */
export function openOutputSink(file: string | undefined): OutputSink {
  let pending = '';
  let fd: number | undefined;
  const tmp = file ? `${file}.tmp-${process.pid}` : '';
  if (file) {
    try {
      fd = fs.openSync(tmp, 'w');
    } catch (e) {
      throw fileIoError('write', file, e);
    }
  }
  const flush = async (): Promise<void> => {
    const text = pending;
    pending = '';
    if (fd !== undefined) fs.writeSync(fd, text);
    else if (text) await new Promise<void>((ok, fail) => process.stdout.write(text, (e) => (e ? fail(e) : ok())));
  };
  return {
    async write(text: string): Promise<void> {
      pending += text;
      if (pending.length >= CHUNK) await flush();
    },
    async commit(): Promise<void> {
      await flush();
      if (fd === undefined || !file) return;
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      fs.renameSync(tmp, file);
    },
    abort(): void {
      if (fd === undefined) return;
      fs.closeSync(fd);
      fs.rmSync(tmp, { force: true });
    },
  };
}
