/**
 * `signservice doctor`: looks at the data files the way start-up does, and further — the full
 * `PRAGMA integrity_check` of the store and the queue (every index against its table), the store marker,
 * requests that wait without a job, parked jobs, leftover temporary files, free disk space and the master
 * key — and prints one line per finding. Exit 0 when nothing failed, 74 when a file is damaged or lost.
 * It creates nothing: a missing file is reported, not made.
 */
import fs from 'node:fs';
import path from 'node:path';
import { configuredMasterKeyId } from '../../backup/backup-files.js';
import type { Config } from '../../config.js';
import { IN_PIPELINE_STATES } from '../../domain/sign-request.js';
import { AppError, ErrorCode, errorOutcome } from '../../errors.js';
import { parseTempName } from '../../fs/write-file-durably.js';
import { requestIdsOfMessages } from '../../messages/sign-job.js';
import { EmbeddedJobQueue } from '../../queue/embedded/embedded-queue.js';
import { knownRoutes, listParkedSignJobs } from '../../sign-requests/parked-sign-jobs.js';
import { checkSqliteIntegrity } from '../../sqlite/check-integrity.js';
import { storeKeysFor } from '../../store/create-store.js';
import { openEmbeddedStore } from '../../store/embedded/embedded-store.js';
import { storeIsNew, storeMarkerOf } from '../../store/embedded/store-marker.js';
import { invalid, parseCommandArgs } from '../cli-args.js';
import { cliConfig } from '../cli-config.js';
import { assertDataDirExists, cliMasterKey } from '../cli-store.js';
import { DATA_DIR_HELP, snapshotStoreIn } from '../data-dir.js';

const HELP = `Usage: signservice doctor [--data-dir DIR] [--json]

Checks the data directory: the full SQLite integrity check of the store and the queue, the store marker,
requests waiting without a job, parked jobs, leftover temporary files, free disk space, the master key.
Exit 0 when nothing failed, 74 when a data file is damaged or lost (restore it: signservice restore).

${DATA_DIR_HELP}
  --json                  print the findings as JSON
  -h, --help              this help`;

const OPTIONS = { 'data-dir': { type: 'string' }, json: { type: 'boolean' } } as const;

type Level = 'ok' | 'warn' | 'fail';
interface Finding {
  level: Level;
  what: string;
  detail: string;
}

const MIB = 1024 * 1024;

function checkFile(file: string, what: string, findings: Finding[]): boolean {
  if (!fs.existsSync(file) || fs.statSync(file).size === 0) return false;
  const report = checkSqliteIntegrity(file, 'full');
  const size = `${(fs.statSync(file).size / MIB).toFixed(1)} MB`;
  findings.push(
    report.ok
      ? { level: 'ok', what, detail: `${file}: integrity_check ok (${size})` }
      : { level: 'fail', what, detail: `${file}: ${report.problems.slice(0, 5).join('; ')}` },
  );
  return report.ok;
}

/** Open requests without a job, and parked jobs (only when both files are sound). */
async function checkWork(config: Config, findings: Finding[]): Promise<void> {
  if (config.store.kind !== 'embedded' || configuredMasterKeyId(config.masterKey) === undefined) return;
  const store = await openEmbeddedStore(
    config.store.file,
    storeKeysFor(cliMasterKey(config, { createMasterKey: false })),
  );
  const queue = new EmbeddedJobQueue({ file: path.join(config.dataDir, 'queue.sqlite') });
  try {
    const live = await queue.liveMessageIds();
    const owners = requestIdsOfMessages(live);
    let orphans = 0;
    for (const state of IN_PIPELINE_STATES) {
      for (const r of await store.signRequests.list({ state }, 100_000)) if (!owners.has(r.id)) orphans++;
    }
    findings.push(
      orphans === 0
        ? { level: 'ok', what: 'requests', detail: `every open request has a job (${live.size} jobs queued)` }
        : {
            level: 'warn',
            what: 'requests',
            detail: `${orphans} open request(s) without a job: a running worker queues them`,
          },
    );
    const parked = await listParkedSignJobs(queue, await knownRoutes(config, snapshotStoreIn(config.dataDir)));
    if (parked.length > 0) {
      findings.push({
        level: 'warn',
        what: 'queue',
        detail: `${parked.length} parked job(s): signservice queue parked`,
      });
    }
  } finally {
    await queue.close();
    await store.close();
  }
}

function checkDisk(config: Config, findings: Finding[]): void {
  const stats = fs.statfsSync(fs.existsSync(config.dataDir) ? config.dataDir : path.dirname(config.dataDir));
  const free = stats.bavail * stats.bsize;
  const enough = free >= config.minFreeDiskBytes;
  findings.push({
    level: enough ? 'ok' : 'warn',
    what: 'disk',
    detail: `${Math.floor(free / MIB)} MiB free in ${config.dataDir} (MIN_FREE_DISK_MB ${config.minFreeDiskBytes / MIB})`,
  });
  const temps: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
      if (e.isDirectory()) walk(path.join(dir, e.name));
      else if (parseTempName(e.name)) temps.push(path.join(dir, e.name));
    }
  };
  walk(config.dataDir);
  if (temps.length > 0) {
    findings.push({
      level: 'warn',
      what: 'files',
      detail: `${temps.length} leftover temporary file(s); a running worker removes them`,
    });
  }
}

function checkMasterKey(config: Config, findings: Finding[]): void {
  try {
    const id = configuredMasterKeyId(config.masterKey);
    const where = config.masterKey.source === 'env' ? 'SIGNSERVICE_MASTER_KEY' : config.masterKey.file;
    findings.push(
      id
        ? { level: 'ok', what: 'master key', detail: `id ${id} (${where}); keep a copy outside this machine` }
        : { level: 'warn', what: 'master key', detail: `none at ${where}` },
    );
  } catch (error) {
    findings.push({ level: 'fail', what: 'master key', detail: (error as Error).message });
  }
}

async function examine(config: Config): Promise<Finding[]> {
  const findings: Finding[] = [];
  if (config.store.kind !== 'embedded') {
    findings.push({
      level: 'ok',
      what: 'store',
      detail:
        'MongoDB: check it with db.runCommand({ validate: "<collection>" }) in mongosh; back it up with mongodump',
    });
  } else if (storeIsNew(config.store.file)) {
    const marker = fs.existsSync(storeMarkerOf(config.store.file));
    findings.push({
      level: marker ? 'fail' : 'warn',
      what: 'store',
      detail: `${config.store.file} is missing or empty${marker ? `, but ${path.basename(storeMarkerOf(config.store.file))} says it existed: restore it` : ' (no store yet)'}`,
    });
  } else {
    const storeOk = checkFile(config.store.file, 'store', findings);
    const queueOk =
      config.queue.kind !== 'embedded' || checkFile(path.join(config.dataDir, 'queue.sqlite'), 'queue', findings);
    if (storeOk && queueOk && config.queue.kind === 'embedded') await checkWork(config, findings);
  }
  checkDisk(config, findings);
  checkMasterKey(config, findings);
  return findings;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (positionals.length > 0) throw invalid(`unexpected argument '${positionals[0]}'`);
  const config = cliConfig(values['data-dir']);
  // A report on a directory that is not there would only describe the folder the command ran from.
  assertDataDirExists(config);
  const findings = await examine(config);
  if (values.json) process.stdout.write(`${JSON.stringify(findings, null, 2)}\n`);
  else
    for (const f of findings)
      process.stdout.write(`${f.level.toUpperCase().padEnd(5)} ${f.what.padEnd(11)} ${f.detail}\n`);
  const failed = findings.some((f) => f.level === 'fail');
  return failed ? errorOutcome(new AppError(ErrorCode.DATA_DAMAGED, 'damaged')).exit : 0;
}
