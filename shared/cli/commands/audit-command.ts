/**
 * `signservice audit verify|export`: checks the sign log's hash chain and reports OK or the first broken
 * entry; exports a time range as CSV or JSON Lines. The store is the one the service uses
 * (loadConfig: SQLite in the data directory, or MongoDB when MONGO_URL is set).
 */
import fs from 'node:fs';
import path from 'node:path';
import { type ChainVerdict, verifySignLogChain } from '../../audit/sign-log-chain.js';
import { signLogCsvColumns, signLogCsvHeader, signLogCsvRow, signLogJsonLine } from '../../audit/sign-log-export.js';
import type { SignLogEntry } from '../../domain/sign-log-entry.js';
import { AppError, ErrorCode } from '../../errors.js';
import { createStore } from '../../store/create-store.js';
import type { Store } from '../../store/store-ports.js';
import { invalid, parseCommandArgs } from '../cli-args.js';
import { cliConfig } from '../cli-config.js';

const HELP = `Usage: signservice audit verify [--data-dir DIR]
       signservice audit export [--from TIME] [--to TIME] [--format csv|jsonl] [-o FILE] [--data-dir DIR]

verify   walks the sign log's hash chain. Prints "OK" with the number of entries and the last hash, or
         "BROKEN at entry N: reason" for the first entry that was edited, removed or moved (exit 1).
         Keep the last hash somewhere else: a log cut short at the end is only caught by comparing it.
export   writes the entries with TIME in [--from, --to) in seq order: CSV (a header, nested fields as
         dotted columns such as actor.login) or JSON Lines (one entry per line, as stored, with its hashes).

  --data-dir DIR   the SignService data directory (default: SIGNSERVICE_DATA_DIR or ./data);
                   with MONGO_URL set, the log is read from MongoDB instead
  --from TIME      ISO 8601 date or date-time, inclusive (a time without a zone is UTC)
  --to TIME        ISO 8601 date or date-time, exclusive
  --format F       csv (default) or jsonl
  -o, --output F   write to file F instead of standard output
  -h, --help       this help`;

/** Entries checked per call of verifySignLogChain, so a long log is never held in memory at once. */
const VERIFY_BATCH = 1000;

async function openStore(dataDir: string | undefined): Promise<Store> {
  const config = cliConfig(dataDir);
  // Opening a missing SQLite file would create an empty store and report a meaningless "OK".
  if (config.store.kind === 'embedded' && !fs.existsSync(config.store.file)) {
    throw new AppError(
      ErrorCode.FILE_IO,
      `no SignService store in ${config.dataDir} (${path.basename(config.store.file)} is missing): check --data-dir or SIGNSERVICE_DATA_DIR`,
    );
  }
  return createStore(config.store);
}

function parseTime(option: string, text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(text);
  // Date-only is UTC in JavaScript; a date-time without a zone would be local time, so make it UTC too.
  const date = iso ? new Date(iso[1] && !iso[4] ? `${text}Z` : text) : undefined;
  if (!date || Number.isNaN(date.getTime())) {
    throw invalid(`${option} '${text}' is not an ISO 8601 date or date-time (e.g. 2025-03-01 or 2025-03-01T09:30:00Z)`);
  }
  return date;
}

/** The seq of the entry that made listing fail, when the adapter could name it (an unreadable row). */
function brokenSeqOf(error: unknown): number | undefined {
  const seq = error instanceof AppError ? error.details?.signLogSeq : undefined;
  return typeof seq === 'number' ? seq : undefined;
}

async function verify(store: Store): Promise<number> {
  let start = { seq: 1, prevHash: '' };
  let batch: SignLogEntry[] = [];
  let verdict: ChainVerdict = { ok: true, entries: 0, lastHash: '' };
  const check = (): boolean => {
    verdict = verifySignLogChain(batch, start);
    if (verdict.ok) start = { seq: start.seq + verdict.entries, prevHash: verdict.lastHash };
    batch = [];
    return verdict.ok;
  };
  try {
    for await (const entry of store.signLog.list()) {
      batch.push(entry);
      if (batch.length >= VERIFY_BATCH && !check()) break;
    }
    if (verdict.ok) check();
  } catch (e) {
    const seq = brokenSeqOf(e);
    if (seq === undefined) throw e;
    verdict = { ok: false, entries: 0, brokenSeq: seq, reason: (e as Error).message };
  }
  if (!verdict.ok) {
    const intact = verdict.brokenSeq > 1 ? `; entries 1 to ${verdict.brokenSeq - 1} are intact` : '';
    process.stdout.write(`BROKEN at entry ${verdict.brokenSeq}: ${verdict.reason}${intact}\n`);
    return 1;
  }
  const count = start.seq - 1;
  process.stdout.write(
    count === 0
      ? 'OK: the sign log is empty (0 entries)\n'
      : `OK: ${count} entries, the hash chain is intact; last hash ${start.prevHash}\n`,
  );
  return 0;
}

/** Lines are written in chunks of about this many characters. */
const CHUNK = 64 * 1024;

/**
 * Where export lines go: a temporary file renamed into place on success (so a failed export leaves no
 * half-written file), or standard output (waiting for it to drain, so a slow pipe does not fill memory).
 */
function openSink(file: string | undefined) {
  let pending = '';
  let fd: number | undefined;
  const tmp = file ? `${file}.tmp-${process.pid}` : '';
  if (file) {
    try {
      fd = fs.openSync(tmp, 'w');
    } catch (e) {
      throw new AppError(ErrorCode.FILE_IO, `cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`);
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

async function exportLog(
  store: Store,
  options: { from: Date | undefined; to: Date | undefined; format: 'csv' | 'jsonl'; output: string | undefined },
): Promise<number> {
  const range = { ...(options.from ? { from: options.from } : {}), ...(options.to ? { to: options.to } : {}) };
  // CSV needs its columns up front (details keys vary), so a first pass collects them; the second pass
  // stops at the last seq the first one saw, so entries appended meanwhile cannot add columns.
  const collector = signLogCsvColumns();
  let lastSeq = Number.POSITIVE_INFINITY;
  if (options.format === 'csv') {
    lastSeq = 0;
    for await (const entry of store.signLog.list(range)) {
      collector.add(entry);
      lastSeq = entry.seq;
    }
  }
  const columns = collector.columns();
  const sink = openSink(options.output);
  let count = 0;
  try {
    if (options.format === 'csv') await sink.write(signLogCsvHeader(columns));
    for await (const entry of store.signLog.list(range)) {
      if (entry.seq > lastSeq) break;
      await sink.write(options.format === 'csv' ? signLogCsvRow(entry, columns) : signLogJsonLine(entry));
      count++;
    }
    await sink.commit();
  } catch (e) {
    sink.abort();
    throw e;
  }
  process.stderr.write(`exported ${count} sign log entries${options.output ? ` to ${options.output}` : ''}\n`);
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseCommandArgs(argv, {
    'data-dir': { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    format: { type: 'string' },
    output: { type: 'string', short: 'o' },
  });
  if (v.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const [sub, ...extra] = positionals;
  if (sub !== 'verify' && sub !== 'export')
    throw invalid(`audit needs 'verify' or 'export'${sub ? `, not '${sub}'` : ''}`);
  if (extra.length > 0) throw invalid(`unexpected argument '${extra[0]}'`);
  if (sub === 'verify' && (v.from || v.to || v.format || v.output)) {
    throw invalid('audit verify takes only --data-dir (it always checks the whole log)');
  }
  const format = v.format ?? 'csv';
  if (format !== 'csv' && format !== 'jsonl') throw invalid(`--format must be csv or jsonl, not '${format}'`);
  const from = parseTime('--from', v.from);
  const to = parseTime('--to', v.to);
  if (from && to && from.getTime() >= to.getTime()) throw invalid('--from must be earlier than --to');

  const store = await openStore(v['data-dir']);
  try {
    if (sub === 'verify') return await verify(store);
    return await exportLog(store, { from, to, format, output: v.output });
  } finally {
    await store.close();
  }
}
