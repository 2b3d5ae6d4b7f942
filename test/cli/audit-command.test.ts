/**
 * `signservice audit export` as an operator runs it: CSV read back by Python's csv module (an independent
 * RFC 4180 reader), JSON Lines re-verified as a hash chain, time ranges, and every kind of bad argument.
 * (`audit verify` and tampering are in test/store/embedded-store.test.ts.)
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verifySignLogChain } from '../../shared/audit/sign-log-chain.js';
import type { SignLogEntry } from '../../shared/domain/sign-log-entry.js';
import { openEmbeddedStore } from '../../shared/store/embedded/embedded-store.js';
import { runCli } from '../support/cli.js';

const PYTHON = '/usr/bin/python3';
const day = (d: number) => new Date(Date.UTC(2025, 2, d, 12));

/** Rows of a CSV file as parsed by Python's csv.DictReader. */
function pythonCsv(file: string): Record<string, string>[] {
  const script =
    'import csv, json, sys\nprint(json.dumps(list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))))';
  return JSON.parse(execFileSync(PYTHON, ['-c', script, file], { encoding: 'utf8' }));
}

describe('signservice audit export (CLI)', function () {
  this.timeout(120_000);
  let dir: string;
  let dataDir: string;
  let entries: SignLogEntry[];
  const env = () => ({ SIGNSERVICE_DATA_DIR: dataDir, MONGO_URL: '' });

  before(async () => {
    assert.ok(fs.existsSync(PYTHON), `${PYTHON} is required to read the CSV independently`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-audit-'));
    dataDir = path.join(dir, 'data');
    const store = await openEmbeddedStore(path.join(dataDir, 'signservice.sqlite'));
    entries = [];
    for (let d = 1; d <= 4; d++) {
      entries.push(
        await store.signLog.append({
          time: day(d),
          action: d === 3 ? 'otp_failed' : 'signed',
          actor: { accountId: `acc-${d}`, login: 'Мария', userId: 7, role: 'signer' },
          document: { dealId: String(40 + d), fileName: d === 2 ? 'Договор, "срочно"\nv2.pdf' : 'act.pdf' },
          outcome: d === 3 ? 'error' : 'ok',
          ...(d === 3 ? { details: { reason: '=HYPERLINK("http://evil")', failures: 2 } } : { otp: 'used' as const }),
        }),
      );
    }
    await store.close();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints help', async () => {
    const r = await runCli(['audit', '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Usage: signservice audit verify/);
    assert.match(r.stdout, /signservice audit export/);
  });

  it('exports CSV with a header and dotted columns that an independent reader parses back', async () => {
    const out = path.join(dir, 'log.csv');
    const r = await runCli(['audit', 'export', '--format', 'csv', '-o', out], env());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /exported 4 sign log entries/);
    const text = fs.readFileSync(out, 'utf8');
    assert.ok(text.startsWith('seq,time,action,outcome,actor.accountId,actor.login,actor.userId,actor.role,otp,'));
    const rows = pythonCsv(out);
    assert.equal(rows.length, 4);
    assert.deepEqual(
      rows.map((r) => [r.seq, r.time, r.action, r['actor.login'], r['document.dealId'], r.hash]),
      entries.map((e) => [String(e.seq), e.time.toISOString(), e.action, 'Мария', e.document?.dealId, e.hash]),
    );
    assert.equal(rows[1]!['document.fileName'], 'Договор, "срочно"\nv2.pdf', 'commas, quotes and newlines survive');
    assert.equal(rows[2]!['details.failures'], '2');
    assert.equal(rows[2]!['details.reason'], `'=HYPERLINK("http://evil")`, 'a formula is defused for spreadsheets');
    assert.equal(rows[0]!['details.reason'], '', 'entries without a column get an empty cell');
    assert.equal(fs.readdirSync(dir).filter((f) => f.includes('.tmp-')).length, 0, 'no temporary file left');
  });

  it('exports JSON Lines to stdout that re-verify as a hash chain', async () => {
    const r = await runCli(['audit', 'export', '--format', 'jsonl'], env());
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    const parsed = lines.map((l) => {
      const e = JSON.parse(l) as SignLogEntry & { time: string };
      return { ...e, time: new Date(e.time) } as SignLogEntry;
    });
    assert.deepEqual(parsed, entries);
    assert.equal(verifySignLogChain(parsed).ok, true);
  });

  it('exports only [--from, --to); a date-time without a zone is UTC', async () => {
    const r = await runCli(
      ['audit', 'export', '--format', 'jsonl', '--from', '2025-03-02', '--to', '2025-03-04T12:00'],
      env(),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      r.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l).seq),
      [2, 3],
    );
    const none = await runCli(['audit', 'export', '--from', '2030-01-01T00:00:00Z'], env());
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, 'seq,time,action,outcome,prevHash,hash\r\n', 'an empty export still has its header');
  });

  it('refuses bad arguments with exit 64 and a specific message', async () => {
    const bad: [string[], RegExp][] = [
      [['audit'], /audit needs 'verify' or 'export'/],
      [['audit', 'purge'], /not 'purge'/],
      [['audit', 'export', '--format', 'xml'], /--format must be csv or jsonl/],
      [['audit', 'export', '--from', 'yesterday'], /--from 'yesterday' is not an ISO 8601/],
      [['audit', 'export', '--from', '2025-03-05', '--to', '2025-03-01'], /--from must be earlier than --to/],
      [['audit', 'verify', '--format', 'csv'], /audit verify takes only --data-dir/],
      [['audit', 'export', '--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [args, message] of bad) {
      const r = await runCli(args, env());
      assert.equal(r.code, 64, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });

  it('an unwritable output: exit 74, no file and no temporary file left', async () => {
    const out = path.join(dir, 'missing-dir', 'log.csv');
    const r = await runCli(['audit', 'export', '-o', out], env());
    assert.equal(r.code, 74, r.stderr);
    assert.match(r.stderr, /cannot write .*log\.csv: ENOENT/);
    assert.equal(fs.existsSync(path.dirname(out)), false);
  });
});
