/**
 * `signservice backup DIR` and `signservice restore DIR` (backup-data-dir.ts, restore-data-dir.ts): a
 * consistent online copy of the embedded data directory — the store, the queue, the signed documents still
 * to deliver, the internal CA, the token snapshots — and its way back into an empty data directory. The
 * master key is never in a backup; both commands say where it is needed.
 */
import path from 'node:path';
import { backupDataDirectory } from '../../backup/backup-data-dir.js';
import { restoreDataDirectory } from '../../backup/restore-data-dir.js';
import { invalid, parseCommandArgs } from '../cli-args.js';
import { cliConfig } from '../cli-config.js';
import { assertStoreExists, cliMasterKey } from '../cli-store.js';
import { DATA_DIR_HELP } from '../data-dir.js';

const BACKUP_HELP = `Usage: signservice backup DIR [--data-dir DIR] [--json]

Copies the data directory while the service runs, into DIR (new or empty): the store and the queue (SQLite's
online backup), the signed documents still to be delivered, the internal CA and the token snapshots, and
backup.json listing every file with its SHA-256. The master key is NOT copied: keep it elsewhere.
With MongoDB (MONGO_URL) use mongodump instead (the command says how).

${DATA_DIR_HELP}
  --json                  print the manifest
  -h, --help              this help`;

const RESTORE_HELP = `Usage: signservice restore BACKUP_DIR [--data-dir DIR] [--json]

Checks the backup (every file against backup.json, both SQLite files with quick_check) and copies it into
the data directory, which must be new or empty (nothing is overwritten; it may hold the master key file).
The configured master key, when present, must be the one the backup was made with. Then start the service
on it and run 'signservice audit verify'.

${DATA_DIR_HELP}
                          (the data directory to fill: new or empty)
  --json                  print the manifest
  -h, --help              this help`;

const OPTIONS = { 'data-dir': { type: 'string' }, json: { type: 'boolean' } } as const;

function parse(
  argv: string[],
  help: string,
): { dir: string; values: { json?: boolean; 'data-dir'?: string } } | number {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (values.help || positionals.length === 0) {
    process.stdout.write(`${help}\n`);
    return values.help ? 0 : 64;
  }
  if (positionals.length > 1) throw invalid(`unexpected argument '${positionals[1]}'`);
  return { dir: path.resolve(positionals[0] as string), values };
}

export async function runBackup(argv: string[]): Promise<number> {
  const parsed = parse(argv, BACKUP_HELP);
  if (typeof parsed === 'number') return parsed;
  const config = cliConfig(parsed.values['data-dir']);
  await assertStoreExists(config);
  const masterKey = cliMasterKey(config, { createMasterKey: false });
  const { manifest, masterKeyAt } = await backupDataDirectory(config, parsed.dir, masterKey);
  if (parsed.values.json) process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
  else {
    process.stdout.write(
      `Backup of ${config.dataDir} written to ${parsed.dir}: ${manifest.files.length} files, ` +
        `${manifest.counts.signLogEntries} sign log entries, ${manifest.counts.openRequests} open requests.\n`,
    );
  }
  process.stderr.write(
    `The master key${manifest.masterKeyId ? ` (id ${manifest.masterKeyId})` : ''} is NOT in the backup. Keep it ` +
      `(${masterKeyAt}) safe somewhere else: without it the backup's sealed keys and OTP secrets cannot be read.\n`,
  );
  return 0;
}

export async function runRestore(argv: string[]): Promise<number> {
  const parsed = parse(argv, RESTORE_HELP);
  if (typeof parsed === 'number') return parsed;
  const config = cliConfig(parsed.values['data-dir']);
  const { manifest, dataDir, masterKeyNeededAt } = await restoreDataDirectory(config, parsed.dir);
  if (parsed.values.json) process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
  else {
    process.stdout.write(
      `Restored the backup of ${manifest.createdAt} into ${dataDir} (${config.dataDirNamed}): ${manifest.files.length} files, ` +
        `${manifest.counts.signLogEntries} sign log entries (last hash ${manifest.lastSignLogHash ?? 'none'}).\n`,
    );
  }
  if (masterKeyNeededAt) {
    process.stderr.write(
      `Before starting the service, put the master key${manifest.masterKeyId ? ` (id ${manifest.masterKeyId})` : ''} ` +
        `in ${masterKeyNeededAt}; it is not in the backup.\n`,
    );
  }
  return 0;
}

export const run = runBackup;
