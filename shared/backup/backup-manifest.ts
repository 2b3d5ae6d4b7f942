/**
 * `backup.json`: what a SignService backup holds — every file with its size and SHA-256, so a restore can
 * tell a complete, unaltered backup from a damaged one — what it was made from, the id (never the key) of
 * the master key its secrets are sealed under, and a few figures to recognise it by.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AppError, ErrorCode } from '../errors.js';

export const MANIFEST_FILE = 'backup.json';

const ZManifest = z.object({
  format: z.literal('signservice-backup'),
  version: z.literal(1),
  createdAt: z.string(),
  /** The data directory it was made from. */
  source: z.string(),
  /** Id of the master key that sealed the stored secrets (MasterKey.keyId), when it was configured. */
  masterKeyId: z.string().optional(),
  /** Requests still on their way through the pipeline, and sign log entries, in the copy. */
  counts: z.object({ openRequests: z.number(), signLogEntries: z.number() }),
  /** The last sign log entry's hash: compare it with the one `audit verify` prints after a restore. */
  lastSignLogHash: z.string().optional(),
  files: z.array(z.object({ path: z.string(), bytes: z.number(), sha256: z.string() })),
});
export type BackupManifest = z.infer<typeof ZManifest>;
export type BackupFile = BackupManifest['files'][number];

/** Size and SHA-256 of `file`, read in chunks. */
export function describeFile(root: string, relative: string): BackupFile {
  const hash = createHash('sha256');
  const fd = fs.openSync(path.join(root, relative), 'r');
  const chunk = Buffer.alloc(1024 * 1024);
  let bytes = 0;
  try {
    for (let n = fs.readSync(fd, chunk); n > 0; n = fs.readSync(fd, chunk)) {
      hash.update(chunk.subarray(0, n));
      bytes += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { path: relative.split(path.sep).join('/'), bytes, sha256: hash.digest('hex') };
}

/** Reads and checks the manifest of the backup in `dir`. @throws AppError INVALID_ARGUMENT, DATA_DAMAGED */
export function readManifest(dir: string): BackupManifest {
  const file = path.join(dir, MANIFEST_FILE);
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new AppError(
      code === 'ENOENT' ? ErrorCode.INVALID_ARGUMENT : ErrorCode.DATA_DAMAGED,
      code === 'ENOENT'
        ? `${dir} is not a SignService backup (no ${MANIFEST_FILE})`
        : `${file} cannot be read: ${(error as Error).message}`,
    );
  }
  const manifest = ZManifest.safeParse(parsed);
  if (!manifest.success) throw new AppError(ErrorCode.DATA_DAMAGED, `${file} is not a valid backup manifest`);
  for (const entry of manifest.data.files) {
    if (entry.path.startsWith('/') || entry.path.split('/').includes('..')) {
      throw new AppError(ErrorCode.DATA_DAMAGED, `${file} names a file outside the backup: ${entry.path}`);
    }
  }
  return manifest.data;
}

/** Checks every file of the manifest against its size and hash. @throws AppError DATA_DAMAGED naming the file */
export function verifyFiles(dir: string, manifest: BackupManifest): void {
  for (const entry of manifest.files) {
    let actual: BackupFile;
    try {
      actual = describeFile(dir, entry.path);
    } catch (error) {
      throw new AppError(ErrorCode.DATA_DAMAGED, `the backup lacks ${entry.path}: ${(error as Error).message}`);
    }
    if (actual.bytes !== entry.bytes || actual.sha256 !== entry.sha256) {
      throw new AppError(
        ErrorCode.DATA_DAMAGED,
        `${entry.path} in the backup ${dir} is not what was backed up (changed or damaged)`,
      );
    }
  }
}

/** Writes the manifest (last: a backup without one is recognisably unfinished). */
export function writeManifest(dir: string, manifest: BackupManifest): void {
  fs.writeFileSync(path.join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
}
