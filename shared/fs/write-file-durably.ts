/**
 * Replaces a file so that, after a crash at any moment, it holds either its old or its new bytes,
 * complete: the bytes go to a temporary file in the same directory, which is fsynced, renamed over the
 * target and followed by an fsync of the directory [POSIX rename(2): the replacement is atomic; the
 * directory fsync makes the new name itself durable]. Errors are the file system's own; callers wrap them.
 *
 * The temporary file never outlives its write where code can still run: it is removed when a step fails,
 * and when the process exits in the middle of a write (a second Ctrl+C exits at once). Only a killed process
 * (SIGKILL, power cut) leaves one behind; its name carries the writer's pid, so `removeTempLeftovers` can
 * tell a dead writer's leftover from a write in progress in another live process.
 *
 * When the same bytes are already durable in a file on the same file system (`linkFrom`: the signed blob a
 * delivery copies), the temporary file is a hard link to it: the rename and the directory fsync stay, the
 * second write and fsync of the bytes go (in `npm run bench:pipeline`, one of two durable 1 MB writes per
 * document).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

export interface WriteDurablyOptions {
  /** Permission bits of a newly written file. @default 0o600 */
  mode?: number;
  /**
   * A file on this machine that already holds exactly `bytes`, durably (a blob of the embedded store): it is
   * hard-linked in place of writing and syncing the bytes again, and the file gets `mode` (both names share it).
   * When it cannot be linked (another file system, no hard links, gone), the bytes are written as usual.
   */
  linkFrom?: string;
}

/** Link errors after which the bytes are written instead: the link is only a shortcut. */
const LINK_FALLBACK = new Set(['EXDEV', 'EPERM', 'EMLINK', 'ENOENT', 'ENOTSUP', 'EOPNOTSUPP', 'EACCES']);

/** Puts the bytes into `temp` (a new name): a hard link of `linkFrom` when it can, else written and synced. */
async function fillTemp(temp: string, bytes: Buffer, mode: number, linkFrom: string | undefined): Promise<void> {
  if (linkFrom !== undefined) {
    try {
      await fsp.link(linkFrom, temp);
      await fsp.chmod(temp, mode);
      return;
    } catch (error) {
      if (!LINK_FALLBACK.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
      await fsp.rm(temp, { force: true });
    }
  }
  const handle = await fsp.open(temp, 'wx', mode);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Temporary files being written by this process right now (removed if it exits meanwhile). */
const inProgress = new Set<string>();
let exitHookInstalled = false;

function track(temp: string): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const file of inProgress) fs.rmSync(file, { force: true });
    });
  }
  inProgress.add(temp);
}

/** `.<name>.<pid>.<random>.tmp`: hidden, never the name of a real file or blob, and naming its writer. */
const TEMP_NAME = /^\.(.+)\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/** The name of a temporary file for `file` written by this process. */
function tempNameFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Writes `bytes` to `file` atomically and durably; the directory must exist. */
export async function writeFileDurably(file: string, bytes: Buffer, options: WriteDurablyOptions = {}): Promise<void> {
  const dir = path.dirname(file);
  const temp = tempNameFor(file);
  track(temp);
  try {
    await fillTemp(temp, bytes, options.mode ?? 0o600, options.linkFrom);
    await fsp.rename(temp, file);
    // rename(2) of two links to one file does nothing (a repeated linked delivery): the temporary name goes.
    if (options.linkFrom !== undefined) await fsp.rm(temp, { force: true });
  } catch (error) {
    await fsp.rm(temp, { force: true }).catch(() => undefined);
    throw error;
  } finally {
    inProgress.delete(temp);
  }
  const dirHandle = await fsp.open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

/** The target name and writer of a temporary file of writeFileDurably, or undefined for any other name. */
export function parseTempName(name: string): { target: string; pid: number } | undefined {
  const match = TEMP_NAME.exec(name);
  return match ? { target: match[1] as string, pid: Number(match[2]) } : undefined;
}

/** Whether a process with this pid runs (on this machine; the data directory is local, as SQLite requires). */
function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function lastWrittenBefore(file: string, before: Date | undefined): Promise<boolean> {
  if (!before) return false;
  const stat = await fsp.stat(file).catch(() => undefined);
  return stat !== undefined && stat.mtime < before;
}

/**
 * Removes the temporary files writeFileDurably left in `dir` (only those for `target`, when given) whose
 * writer process is gone, or that were last written before `before`. Returns the names it removed; a
 * directory that does not exist has none.
 */
export async function removeTempLeftovers(
  dir: string,
  options: { target?: string; before?: Date } = {},
): Promise<string[]> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const removed: string[] = [];
  for (const name of names) {
    const temp = parseTempName(name);
    if (!temp || (options.target !== undefined && temp.target !== options.target)) continue;
    const file = path.join(dir, name);
    if (inProgress.has(file)) continue;
    // Our own pid but not in progress here: an earlier process that had the same pid left it.
    const stale = temp.pid === process.pid || !processRuns(temp.pid) || (await lastWrittenBefore(file, options.before));
    if (!stale) continue;
    await fsp.rm(file, { force: true });
    removed.push(name);
  }
  return removed;
}
