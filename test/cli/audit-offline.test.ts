/**
 * `signservice audit verify --offline` as an outside verifier runs it: with only a JSON Lines export and the
 * service certificate (no data directory, no store, no master key in its environment). Checkpoints verify
 * and say what they cover; an export rewritten and re-hashed, a checkpoint signed by another key (with the
 * export's certificate swapped for the forger's), and an export cut short are refused. With a timestamp
 * authority (the test TSA, openssl behind it) checkpoints are timestamped, and one made while the TSA is
 * down is stored without a timestamp.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signLogEntryHash } from '../../shared/audit/sign-log-chain.js';
import { signCheckpoint } from '../../shared/audit/sign-log-checkpoint-signature.js';
import { ensureServiceKey } from '../../shared/audit/sign-log-service-key.js';
import { MasterKey } from '../../shared/crypto/master-key.js';
import type { SignLogEntry } from '../../shared/domain/sign-log-entry.js';
import { storeKeysFor } from '../../shared/store/create-store.js';
import { openEmbeddedStore } from '../../shared/store/embedded/embedded-store.js';
import { runCli } from '../support/cli.js';
import { freePort } from '../support/service-process.js';
import { createTestPki, type TestPki } from '../support/test-pki.js';
import { startTestTsa, type TestTsa } from '../support/tsa-server.js';

type Line = Record<string, unknown> & { record?: string; seq?: number };

const readLines = (file: string): Line[] =>
  fs
    .readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
const writeLines = (file: string, lines: Line[]) =>
  fs.writeFileSync(file, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));

describe('signservice audit verify --offline (an export and the certificate alone)', function () {
  this.timeout(180_000);
  let dir: string;
  let dataDir: string;
  let pki: TestPki;
  let tsa: TestTsa;
  let n = 0;
  const masterKeyBase64 = crypto.randomBytes(32).toString('base64');
  const serviceEnv = (extra: NodeJS.ProcessEnv = {}) => ({
    SIGNSERVICE_DATA_DIR: dataDir,
    MONGO_URL: '',
    SIGNSERVICE_MASTER_KEY: masterKeyBase64,
    ...extra,
  });
  /** What a verifier elsewhere has: no data directory, no store, no master key. */
  const verifierEnv = () => ({
    SIGNSERVICE_DATA_DIR: path.join(dir, 'nowhere'),
    SIGNSERVICE_MASTER_KEY: '',
    MONGO_URL: '',
  });
  const offline = (file: string, cert?: string) =>
    runCli(['audit', 'verify', '--offline', file, ...(cert ? ['--cert', cert] : [])], verifierEnv());

  async function append(count: number): Promise<void> {
    const store = await openEmbeddedStore(
      path.join(dataDir, 'signservice.sqlite'),
      storeKeysFor(MasterKey.fromBase64(masterKeyBase64)),
    );
    for (let i = 0; i < count; i++) {
      n++;
      const time = new Date(Date.UTC(2025, 2, 1, 9, n));
      await store.signLog.append({ time, action: 'signed', actor: { login: `user-${n}` }, outcome: 'ok' });
    }
    await store.close();
  }
  async function cli(args: string[], extra: NodeJS.ProcessEnv = {}) {
    const r = await runCli(args, serviceEnv(extra));
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    return r;
  }

  let exportFile: string;
  let certFile: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-audit-offline-'));
    dataDir = path.join(dir, 'data');
    pki = await createTestPki();
    tsa = await startTestTsa(pki);
    await append(3);
    await cli(['audit', 'checkpoint'], { SIGN_LOG_TSA_URL: tsa.url });
    await append(2);
    await cli(['audit', 'checkpoint'], { SIGN_LOG_TSA_URL: tsa.url });
    await append(2);
    // Copies for the verifier, in a directory of their own: the data directory is not needed from here on.
    const verifierDir = path.join(dir, 'verifier');
    fs.mkdirSync(verifierDir);
    exportFile = path.join(verifierDir, 'sign-log.jsonl');
    certFile = path.join(verifierDir, 'service.crt');
    await cli(['audit', 'export', '--format', 'jsonl', '-o', exportFile]);
    await cli(['audit', 'export-cert', '-o', certFile]);
  });
  after(async () => {
    await tsa?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('checkpoints verify from the export and the certificate alone, with their timestamps; later entries are listed apart', async () => {
    const r = await offline(exportFile, certFile);
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(
      lines[0],
      'OK (offline): 7 entries (the whole log), the public hash chain is intact; 2 checkpoints verified',
    );
    assert.match(
      lines[1]!,
      /^ {2}entries 1 to 5: covered by checkpoint #2 at entry 5, \S+Z, timestamped by .*CN ?= ?.+ at \S+Z$/,
    );
    assert.equal(lines[2], '  entries 6 to 7: after the last checkpoint (not checkable offline)');
    assert.match(lines[3]!, /covered only by the keyed chain/);
    assert.match(
      lines.at(-1)!,
      new RegExp(`^Service certificate: ${certFile.replace(/[.]/g, '\\.')} \\(SHA-256 [0-9a-f]{64}\\)$`),
    );
    assert.equal(tsa.requests, 2, 'one timestamp per checkpoint');
  });

  it('without --cert the export’s own certificate is used, and the report says to compare it', async () => {
    const r = await offline(exportFile);
    assert.equal(r.code, 0, r.stdout);
    assert.match(
      r.stdout,
      /Service certificate: the one inside the export \(SHA-256 [0-9a-f]{64}\); compare it with a copy you trust/,
    );
  });

  it('an export rewritten and re-hashed (entry 2, then every later hash and the checkpoint hashes): refused', async () => {
    const lines = readLines(exportFile);
    let prevHash = '';
    for (const line of lines) {
      if (line.record !== undefined) continue;
      if (line.seq === 2) line.actor = { login: 'mallory' };
      const { hash: _h, mac: _m, ...rest } = line;
      line.prevHash = line.seq === 1 ? '' : prevHash;
      line.hash = signLogEntryHash({
        ...rest,
        prevHash: line.prevHash,
        time: new Date(String(line.time)),
      } as unknown as SignLogEntry);
      prevHash = String(line.hash);
    }
    for (const line of lines.filter((l) => l.record === 'checkpoint')) {
      line.hash = lines.find((l) => l.record === undefined && l.seq === line.seq)?.hash;
    }
    const forged = path.join(dir, 'rehashed.jsonl');
    writeLines(forged, lines);
    const r = await offline(forged, certFile);
    assert.equal(r.code, 1, r.stdout);
    assert.match(
      r.stdout,
      /^BROKEN at checkpoint #1 \(entry 3\): checkpoint #1 does not verify with the service certificate/,
    );
  });

  it('a checkpoint re-signed by another key, with the export’s certificate swapped for the forger’s: refused with --cert', async () => {
    const forger = await ensureServiceKey(
      { get: async () => undefined, create: async (k) => k },
      MasterKey.fromBytes(crypto.randomBytes(32)),
    );
    const lines = readLines(exportFile).map((line) => {
      if (line.record === 'service-certificate')
        return { ...line, pem: forger.key.certificate.toString(), sha256: forger.key.certificateSha256 };
      if (line.record !== 'checkpoint') return line;
      const resigned = signCheckpoint(
        forger.key,
        { seq: Number(line.seq), hash: String(line.hash) },
        new Date(String(line.time)),
      );
      return {
        ...line,
        signature: resigned.signature,
        certificateSha256: resigned.certificateSha256,
        timestamp: undefined,
      };
    });
    const forged = path.join(dir, 'forged.jsonl');
    writeLines(forged, lines);
    const refused = await offline(forged, certFile);
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(
      refused.stdout,
      /^BROKEN at checkpoint #1 \(entry 3\): checkpoint #1 was signed by another key \(certificate SHA-256 [0-9a-f]{64}\), not by the service key: it is forged/,
    );
    assert.match(refused.stdout, /the export carries another certificate \(SHA-256 [0-9a-f]{64}\), which was ignored/);
    const fooled = await offline(forged);
    assert.equal(fooled.code, 0, 'without a trusted certificate the forger’s own one verifies its own checkpoints');
    assert.match(fooled.stdout, new RegExp(`the one inside the export \\(SHA-256 ${forger.key.certificateSha256}\\)`));
  });

  it('an export cut short before a checkpoint: the missing entries are named', async () => {
    const cut = path.join(dir, 'cut.jsonl');
    writeLines(
      cut,
      readLines(exportFile).filter((l) => l.record !== undefined || Number(l.seq) <= 3),
    );
    const r = await offline(cut, certFile);
    assert.equal(r.code, 1, r.stdout);
    assert.match(
      r.stdout,
      /^BROKEN at entry 4: entries 4 to 5 are missing: checkpoint #2 of \S+ covers the log up to entry 5/,
    );
  });

  it('an export with a checkpoint line repeated, or a line that is not JSON: the line is named', async () => {
    const lines = readLines(exportFile);
    const repeated = path.join(dir, 'repeated.jsonl');
    writeLines(repeated, [...lines, lines.find((l) => l.record === 'checkpoint')!]);
    const r = await offline(repeated, certFile);
    assert.equal(r.code, 1, r.stdout);
    assert.match(
      r.stdout,
      new RegExp(`^BROKEN at line ${lines.length + 1}: line ${lines.length + 1} repeats checkpoint #1`),
    );
    const garbled = path.join(dir, 'garbled.jsonl');
    fs.writeFileSync(garbled, `${fs.readFileSync(exportFile, 'utf8')}{not json\n`);
    const g = await offline(garbled, certFile);
    assert.equal(g.code, 1, g.stdout);
    assert.match(
      g.stdout,
      new RegExp(`^BROKEN at line ${lines.length + 1}: line ${lines.length + 1} is unreadable: not JSON`),
    );
  });

  it('a time-range export (entries 2 to 6) verifies on its own: its entries up to its last checkpoint are covered', async () => {
    const lines = readLines(exportFile).filter((l) => l.record === undefined);
    const from = String(lines[1]!.time);
    const to = new Date(new Date(String(lines[5]!.time)).getTime() + 1000).toISOString();
    const ranged = path.join(dir, 'ranged.jsonl');
    await cli(['audit', 'export', '--format', 'jsonl', '--from', from, '--to', to, '-o', ranged]);
    const r = await offline(ranged, certFile);
    assert.equal(r.code, 0, r.stdout);
    assert.match(
      r.stdout,
      /^OK \(offline\): 5 entries \(a time-range export\).*; 2 checkpoints verified\n {2}entries 2 to 5: covered by checkpoint #2/,
    );
    assert.match(r.stdout, / {2}entry 6: after the last checkpoint/);
  });

  it('a TSA that is down: the checkpoint is stored untimestamped (and says so), not lost', async () => {
    await append(1);
    const down = `http://127.0.0.1:${await freePort()}/tsa`;
    const r = await runCli(['audit', 'checkpoint'], serviceEnv({ SIGN_LOG_TSA_URL: down }));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^made checkpoint #3 at entry 8, \S+, not timestamped\n$/);
    assert.match(
      r.stderr,
      /the timestamp failed \(the service retries it\): The timestamp authority .* cannot be reached/,
    );
    const verified = await runCli(['audit', 'verify'], serviceEnv());
    assert.equal(verified.code, 0, verified.stdout);
    assert.match(verified.stdout, /last checkpoint #3 at entry 8, \S+, not timestamped; 0 entries after it/);
  });
});
