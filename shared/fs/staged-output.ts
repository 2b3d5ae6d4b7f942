/**
 * An output file that starts as a copy of an input and is extended in place: the copy is made by the kernel
 * (`copy_file_range`, or a reflink where the file system shares blocks) into a hidden temporary file beside the
 * target, so the unchanged bytes never pass through this process; new bytes are written at the end; `commit`
 * makes it durable and puts it in place (fsync, rename over the target, fsync of the directory: after a crash
 * the target holds its old bytes or the new ones, complete). `discard` removes the temporary file on every
 * error path, so nothing is half-written.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { AppError } from '../errors.js';
import { type FileAction, fileIoError } from './file-error.js';

const fdatasync = promisify(fs.fdatasync);

function ioError(what: FileAction, file: string, error: unknown): AppError {
  return fileIoError(what, file, error);
}

export class StagedOutput {
  private closed = false;
  private backgroundSync: Promise<void> | undefined;

  private constructor(
    /** Read-write descriptor of the temporary file. */
    readonly fd: number,
    readonly tempPath: string,
    readonly targetPath: string,
  ) {}

  /**
   * Copies `inputPath` into a new temporary file beside `targetPath`. The temporary file has the permission
   * bits a newly created file gets (the process umask), not the input's.
   * @throws AppError FILE_IO (the input cannot be read, the target's directory cannot be written)
   */
  static async copyOf(inputPath: string, targetPath: string): Promise<StagedOutput> {
    try {
      fs.closeSync(fs.openSync(inputPath, 'r'));
    } catch (error) {
      throw ioError('read', inputPath, error);
    }
    const target = path.resolve(targetPath);
    const tempPath = path.join(path.dirname(target), `.${path.basename(target)}.${randomUUID()}.tmp`);
    let fd: number;
    try {
      fd = fs.openSync(tempPath, 'wx+');
    } catch (error) {
      throw ioError('write', targetPath, error);
    }
    try {
      const mode = fs.fstatSync(fd).mode & 0o7777;
      // Into the file just made (same inode): COPYFILE_FICLONE asks for a reflink and falls back to a copy.
      await fs.promises.copyFile(inputPath, tempPath, fs.constants.COPYFILE_FICLONE);
      fs.fchmodSync(fd, mode);
      return new StagedOutput(fd, tempPath, target);
    } catch (error) {
      fs.closeSync(fd);
      fs.rmSync(tempPath, { force: true });
      throw ioError('write', targetPath, error);
    }
  }

  /**
   * Starts writing the copied bytes to the disk in the background (a thread of the pool), so that the final
   * fsync in `commit` has little left to do. Reading the file meanwhile is fine.
   */
  flushInBackground(): void {
    this.backgroundSync ??= fdatasync(this.fd);
    // Awaited in commit(); a rejection here must not surface as an unhandled one before that.
    this.backgroundSync.catch(() => {});
  }

  /** Writes `bytes` at `position` (new bytes go at the end of the copy). */
  write(bytes: Buffer, position: number): void {
    let done = 0;
    while (done < bytes.length) done += fs.writeSync(this.fd, bytes, done, bytes.length - done, position + done);
  }

  /** fsync, rename over the target, fsync of the target's directory. */
  async commit(): Promise<void> {
    try {
      if (this.backgroundSync) await this.backgroundSync;
      fs.fsyncSync(this.fd);
      this.close();
      fs.renameSync(this.tempPath, this.targetPath);
      const dir = fs.openSync(path.dirname(this.targetPath), 'r');
      try {
        fs.fsyncSync(dir);
      } finally {
        fs.closeSync(dir);
      }
    } catch (error) {
      throw ioError('write', this.targetPath, error);
    }
  }

  /** Closes and removes the temporary file; never throws (it runs on error paths). */
  async discard(): Promise<void> {
    await this.backgroundSync?.catch(() => {});
    try {
      this.close();
    } catch {
      // Already closed or broken: removing the file is what matters.
    }
    fs.rmSync(this.tempPath, { force: true });
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }
}
