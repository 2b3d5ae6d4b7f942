/**
 * `signservice audit export` and `export-cert` as an operator runs them: CSV read back by Python's csv
 * module (an independent RFC 4180 reader), JSON Lines re-verified as a hash and MAC chain with the service
 * certificate and the checkpoints in it, time ranges, and every kind of bad argument. (`audit verify` and
 * tampering: test/store/sign-log-tampering.test.ts; `verify --offline`: audit-offline.test.ts.)
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeSignLogCheckpoint } from '../../shared/audit/make-sign-log-checkpoint.js';
import { verifySignLogChain } from '../../shared/audit/sign-log-chain.js';
import { SignLogKey } from '../../shared/audit/sign-log-key.js';
import { MasterKey } from '../../shared/crypto/master-key.js';
import type { SignLogCheckpoint } from '../../shared/domain/sign-log-checkpoint.js';
import type { SignLogEntry } from '../../shared/domain/sign-log-entry.js';
import { storeKeysFor } from '../../shared/store/create-store.js';
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
  let checkpoint: SignLogCheckpoint;
  const masterKeyBase64 = crypto.randomBytes(32).toString('base64');
  const masterKey = MasterKey.fromBase64(masterKeyBase64);
  const env = () => ({ SIGNSERVICE_DATA_DIR: dataDir, MONGO_URL: '', SIGNSERVICE_MASTER_KEY: masterKeyBase64 });

  before(async () => {
    assert.ok(fs.existsSync(PYTHON), `${PYTHON} is required to read the CSV independently`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-audit-'));
    dataDir = path.join(dir, 'data');
    const store = await openEmbeddedStore(path.join(dataDir, 'signservice.sqlite'), storeKeysFor(masterKey));
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
      if (d === 3) {
        const made = await makeSignLogCheckpoint({ store, masterKey });
        assert.ok('made' in made);
        checkpoint = made.made;
      }
    }
    await store.close();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints help, and each subcommand its own', async () => {
    const r = await runCli(['audit', '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Usage: signservice audit <command>/);
    assert.match(r.stdout, /^ {2}export-cert +write the service certificate/m);
    const verify = await runCli(['audit', 'verify', '--help']);
    assert.equal(verify.code, 0, verify.stderr);
    assert.match(
      verify.stdout,
      /^Usage: signservice audit verify \[--data-dir DIR\] \| --offline FILE \[--cert FILE\]/,
    );
    assert.doesNotMatch(verify.stdout, /--format/, 'only the options verify takes');
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

  it('exports JSON Lines to stdout: a header, the certificate, the entries as stored (re-verifying), the checkpoints', async () => {
    const r = await runCli(['audit', 'export', '--format', 'jsonl'], env());
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((l) => l.record ?? `entry ${l.seq}`),
      ['header', 'service-certificate', 'entry 1', 'entry 2', 'entry 3', 'entry 4', 'checkpoint'],
    );
    assert.equal(lines[0].format, 'signservice-sign-log-export/v2');
    assert.deepEqual([lines[0].from, lines[0].to], [null, null]);
    const cert = await runCli(['audit', 'export-cert'], env());
    assert.equal(cert.code, 0, cert.stderr);
    assert.equal(lines[1].pem, cert.stdout, 'the same certificate as export-cert writes');
    assert.match(cert.stdout, /^-----BEGIN CERTIFICATE-----\n/);
    assert.match(cert.stderr, new RegExp(`CN=SignService sign-log, SHA-256 ${lines[1].sha256}`));
    const parsed = lines
      .filter((l) => l.record === undefined)
      .map((e) => ({ ...e, time: new Date(e.time) }) as SignLogEntry);
    assert.deepEqual(parsed, entries);
    assert.equal(verifySignLogChain(parsed, { key: SignLogKey.fromMasterKey(masterKey) }).ok, true);
    const { record, ...exported } = lines[6];
    assert.deepEqual({ ...exported, time: new Date(exported.time) }, checkpoint);
  });

  it('export-cert writes a PEM file that openssl reads: self-signed "SignService sign-log", no expiry', async () => {
    const out = path.join(dir, 'service.crt');
    const r = await runCli(['audit', 'export-cert', '-o', out], env());
    assert.equal(r.code, 0, r.stderr);
    const text = execFileSync(
      'openssl',
      ['x509', '-in', out, '-noout', '-subject', '-issuer', '-enddate', '-ext', 'keyUsage'],
      {
        encoding: 'utf8',
      },
    );
    assert.match(text, /subject=CN ?= ?SignService sign-log/);
    assert.match(text, /issuer=CN ?= ?SignService sign-log/);
    assert.match(text, /notAfter=Dec 31 23:59:59 9999 GMT/);
    assert.match(text, /critical\s+Digital Signature/);
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
        .map((l) => JSON.parse(l))
        .map((l) => l.record ?? l.seq),
      ['header', 'service-certificate', 2, 3, 'checkpoint'],
      'with the checkpoint of entry 3, which is in the range',
    );
    const none = await runCli(['audit', 'export', '--from', '2030-01-01T00:00:00Z'], env());
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, 'seq,time,action,outcome,prevHash,hash,mac\r\n', 'an empty export still has its header');
  });

  it('refuses bad arguments with exit 64 and a specific message', async () => {
    const bad: [string[], RegExp][] = [
      [['audit'], /audit needs 'verify', 'export', 'export-cert' or 'checkpoint'/],
      [['audit', 'purge'], /not 'purge'/],
      [['audit', 'export', '--format', 'xml'], /--format must be csv or jsonl/],
      [['audit', 'export', '--from', 'yesterday'], /--from 'yesterday' is not an ISO 8601/],
      [['audit', 'export', '--from', '2025-03-05', '--to', '2025-03-01'], /--from must be earlier than --to/],
      [['audit', 'verify', '--format', 'csv'], /audit verify takes only --data-dir/],
      [['audit', 'verify', '--offline', 'x.jsonl', '--data-dir', 'd'], /audit verify --offline takes only --cert/],
      [['audit', 'export-cert', '--format', 'csv'], /audit export-cert does not take --format/],
      [['audit', 'checkpoint', '-o', 'x'], /audit checkpoint does not take --output/],
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
    assert.match(r.stderr, /Cannot write .*log\.csv: the folder .*missing-dir does not exist/);
    assert.equal(fs.existsSync(path.dirname(out)), false);
  });
});
