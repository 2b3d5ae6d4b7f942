/**
 * `signservice audit verify|export|export-cert|checkpoint`: checks the sign log (with the master key: the
 * hash chain, the MAC chain and every checkpoint; or `--offline` an export with public material alone) and
 * reports OK or the first broken entry; exports a time range; writes the service certificate; makes a
 * checkpoint now. The store is the one the service uses (SQLite in the data directory, or MongoDB when
 * MONGO_URL is set).
 */
import { makeSignLogCheckpoint } from '../../audit/make-sign-log-checkpoint.js';
import { checkCheckpointTimestamp } from '../../audit/sign-log-checkpoint-signature.js';
import { prepareSignLog } from '../../audit/sign-log-checkpointer.js';
import { verifySignLog } from '../../audit/verify-sign-log.js';
import type { Config } from '../../config.js';
import type { MasterKey } from '../../crypto/master-key.js';
import { requestTimestamp } from '../../crypto/tsa-client.js';
import type { Store } from '../../store/store-ports.js';
import { describeCheckpoint, formatStoreReport } from '../audit-format.js';
import { invalid, parseCommandArgs } from '../cli-args.js';
import { cliConfig } from '../cli-config.js';
import { openCliStore } from '../cli-store.js';
import { answerHelp, type GroupHelp } from '../command-help.js';
import { DATA_DIR_FLAG, DATA_DIR_TEXT } from '../data-dir.js';
import { exportCertificate, exportLog } from './audit-export-command.js';
import { verifyOffline } from './audit-offline-command.js';

const HELP: GroupHelp = {
  group: 'audit',
  about:
    'The sign log: every signature, failed code, lockout and administrative change, chained by hashes and MACs\n' +
    "and anchored by signed checkpoints. The store is the service's (SQLite in the data directory, or MongoDB\n" +
    'when MONGO_URL is set).',
  subcommands: {
    verify: {
      usage: '[--data-dir DIR] | --offline FILE [--cert FILE]',
      summary: 'check the whole sign log with the master key, or an export offline',
      details:
        "Checks the whole sign log with the master key: every entry's hash and MAC, and every signed checkpoint.\n" +
        'Prints "OK: N entries … last checkpoint #k at entry S, TIME" or "BROKEN at entry N: reason" for the first\n' +
        'entry that was edited, removed, moved or forged (exit 1).\n' +
        'With --offline FILE it checks a JSON Lines export without the store or the master key: the hash chain and\n' +
        "the checkpoints' signatures (and timestamps) against the service certificate, and says which entries a\n" +
        'checkpoint covers and which come after the last one.',
      options: ['offline', 'cert'],
    },
    export: {
      usage: '[--from TIME] [--to TIME] [--format csv|jsonl] [-o FILE]',
      summary: 'write the entries of a time range as CSV or JSON Lines',
      details:
        'Writes the entries with TIME in [--from, --to) in seq order: CSV (a header, nested fields as dotted\n' +
        'columns such as actor.login) or JSON Lines (entries as stored with their hashes and MACs, plus the service\n' +
        'certificate and the checkpoints, for verify --offline).',
      options: ['from', 'to', 'format', 'output'],
    },
    'export-cert': {
      usage: '[-o FILE]',
      summary: 'write the service certificate that signs the checkpoints',
      details:
        'Writes the service certificate (PEM) that signs the checkpoints; keep a copy apart from the service and\n' +
        'give it to whoever verifies exports.',
      options: ['output'],
    },
    checkpoint: {
      usage: '',
      summary: 'sign a checkpoint of the current head now',
      details: 'Signs a checkpoint of the current head now (the service makes them on its own, see README).',
      options: [],
    },
  },
  options: {
    offline: ['--offline FILE', 'verify this JSON Lines export instead of the store'],
    cert: ['--cert FILE', 'the service certificate you trust (PEM or DER); default: the one inside the export'],
    from: ['--from TIME', 'ISO 8601 date or date-time, inclusive (a time without a zone is UTC)'],
    to: ['--to TIME', 'ISO 8601 date or date-time, exclusive'],
    format: ['--format F', 'csv (default) or jsonl'],
    output: ['-o, --output F', 'write to file F instead of standard output'],
    'data-dir': [DATA_DIR_FLAG, `${DATA_DIR_TEXT};\nwith MONGO_URL set, the log is read from MongoDB instead`],
    help: ['-h, --help', 'this help'],
  },
  common: ['data-dir', 'help'],
};

const SUBCOMMANDS = ['verify', 'export', 'export-cert', 'checkpoint'];

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

async function verify(store: Store, masterKey: MasterKey): Promise<number> {
  const report = await verifySignLog(store, masterKey);
  process.stdout.write(formatStoreReport(report));
  return report.ok ? 0 : 1;
}

async function checkpoint(config: Config, store: Store, masterKey: MasterKey) {
  await prepareSignLog(store);
  const tsa = config.signLog.tsaUrl;
  const outcome = await makeSignLogCheckpoint({
    store,
    masterKey,
    ...(tsa ? { timestamp: (data: Buffer) => requestTimestamp(tsa, data) } : {}),
  });
  if (!('made' in outcome)) {
    process.stdout.write(`no checkpoint made: ${outcome.skipped}\n`);
    return 0;
  }
  const { number, seq, time, timestamp } = outcome.made;
  const stamp = timestamp ? checkCheckpointTimestamp({ ...outcome.made, timestamp }) : undefined;
  const summary = { number, seq, time, ...(stamp?.ok ? { timestamp: stamp.timestamp } : {}) };
  process.stdout.write(`made ${describeCheckpoint(summary)}\n`);
  if (outcome.timestampError) {
    process.stderr.write(`the timestamp failed (the service retries it): ${outcome.timestampError.message}\n`);
  }
  return 0;
}

function checkOptions(sub: string, v: Record<string, string | boolean | undefined>): void {
  const given = (names: string[]) => names.filter((n) => v[n] !== undefined);
  const allowed: Record<string, string[]> = {
    verify: v.offline !== undefined ? ['offline', 'cert'] : ['data-dir'],
    export: ['data-dir', 'from', 'to', 'format', 'output'],
    'export-cert': ['data-dir', 'output'],
    checkpoint: ['data-dir'],
  };
  const extra = given(['data-dir', 'offline', 'cert', 'from', 'to', 'format', 'output']).filter(
    (n) => !allowed[sub]?.includes(n),
  );
  if (extra.length === 0) return;
  if (sub === 'verify' && v.offline !== undefined) throw invalid('audit verify --offline takes only --cert');
  if (sub === 'verify') throw invalid('audit verify takes only --data-dir (it always checks the whole log)');
  throw invalid(`audit ${sub} does not take --${extra[0]}`);
}

export async function run(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseCommandArgs(argv, {
    'data-dir': { type: 'string' },
    offline: { type: 'string' },
    cert: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    format: { type: 'string' },
    output: { type: 'string', short: 'o' },
  });
  const [sub, ...extra] = positionals;
  if ((!sub && !v.help) || (sub && !SUBCOMMANDS.includes(sub))) {
    throw invalid(`audit needs 'verify', 'export', 'export-cert' or 'checkpoint'${sub ? `, not '${sub}'` : ''}`);
  }
  const helped = answerHelp(HELP, positionals, v.help === true);
  if (helped !== undefined) return helped;
  if (!sub) return 64;
  if (extra.length > 0) throw invalid(`unexpected argument '${extra[0]}'`);
  checkOptions(sub, v);
  if (v.offline !== undefined) return verifyOffline(v.offline, v.cert);
  const format = v.format ?? 'csv';
  if (format !== 'csv' && format !== 'jsonl') throw invalid(`--format must be csv or jsonl, not '${format}'`);
  const from = parseTime('--from', v.from);
  const to = parseTime('--to', v.to);
  if (from && to && from.getTime() >= to.getTime()) throw invalid('--from must be earlier than --to');

  const config = cliConfig(v['data-dir']);
  const { store, masterKey } = await openCliStore(config);
  try {
    if (sub === 'verify') return await verify(store, masterKey);
    if (sub === 'checkpoint') return await checkpoint(config, store, masterKey);
    if (sub === 'export-cert') return await exportCertificate(store, v.output);
    return await exportLog(store, { from, to, format, output: v.output });
  } finally {
    await store.close();
  }
}
