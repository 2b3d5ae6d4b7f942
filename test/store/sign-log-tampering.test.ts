/**
 * Someone who can write the store file but holds no master key, attacking the sign log as such a person
 * would: opening the SQLite file directly with better-sqlite3 and dropping the append-only triggers first.
 * `signservice audit verify` (the real CLI, with the master key) must exit 1 naming the FIRST bad entry or
 * checkpoint. The last cases document the limits: a cut after the last checkpoint goes unnoticed, and a
 * log passed off as never keyed gets a new service key, which anyone holding the old certificate sees.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { makeSignLogCheckpoint } from '../../shared/audit/make-sign-log-checkpoint.js';
import { signLogEntryHash } from '../../shared/audit/sign-log-chain.js';
import { signCheckpoint } from '../../shared/audit/sign-log-checkpoint-signature.js';
import { SignLogKey } from '../../shared/audit/sign-log-key.js';
import { ensureServiceKey, type ServiceKey } from '../../shared/audit/sign-log-service-key.js';
import { MasterKey } from '../../shared/crypto/master-key.js';
import type { SignLogEntry } from '../../shared/domain/sign-log-entry.js';
import { storeKeysFor } from '../../shared/store/create-store.js';
import { openEmbeddedStore } from '../../shared/store/embedded/embedded-store.js';
import { runCli } from '../support/cli.js';
import { allEntries, logInput, randomMasterKey } from './store-fixtures.js';

const ENTRIES = 5;

/** A key pair and certificate of the attacker's own (what a forger can make: anything but ours). */
async function foreignServiceKey(): Promise<ServiceKey> {
  const made = await ensureServiceKey({ get: async () => undefined, create: async (k) => k }, randomMasterKey());
  return made.key;
}

/** Opens the file as an attacker would: directly, past the service, without the append-only triggers. */
function tamper(file: string, attack: (raw: Database.Database) => void): void {
  const raw = new Database(file);
  try {
    for (const trigger of raw.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").pluck().all()) {
      raw.exec(`DROP TRIGGER "${trigger}"`);
    }
    attack(raw);
  } finally {
    raw.close();
  }
}

interface Row {
  seq: number;
  time: string;
  prev_hash: string;
  hash: string;
  body: string;
  mac: string | null;
}

/**
 * The attack the keyed chain exists for: rewrite one entry, then recompute with the code's own functions
 * everything that can be computed without the master key — its hash and every later hash and link, MACs
 * under a key of the attacker's own, and the hash in any checkpoint (its signature cannot be redone).
 */
function rewriteAndRehash(raw: Database.Database, seq: number, login: string): void {
  const rows = raw.prepare<[], Row>('SELECT * FROM sign_log ORDER BY seq').all();
  const forgedKey = SignLogKey.fromMasterKey(randomMasterKey());
  const update = raw.prepare('UPDATE sign_log SET body = ?, prev_hash = ?, hash = ?, mac = ? WHERE seq = ?');
  let prevHash = '';
  let prevMac = '';
  for (const row of rows) {
    if (row.seq < seq) {
      // Entries before the rewritten one stay as they are.
      prevHash = row.hash;
      prevMac = row.mac ?? '';
      continue;
    }
    const body = JSON.parse(row.body) as Omit<SignLogEntry, 'seq' | 'time' | 'prevHash' | 'hash'>;
    if (row.seq === seq) body.actor = { ...body.actor, login };
    const entry = { ...body, seq: row.seq, time: new Date(row.time), prevHash: row.seq === 1 ? '' : prevHash };
    const hash = signLogEntryHash(entry);
    const mac = forgedKey.mac({ seq: row.seq, hash, prevMac });
    update.run(JSON.stringify(body), entry.prevHash, hash, mac, row.seq);
    raw.prepare('UPDATE sign_log_checkpoints SET hash = ? WHERE seq = ?').run(hash, row.seq);
    prevHash = hash;
    prevMac = mac;
  }
}

describe('sign log: tampering with the store file is caught by `signservice audit verify`', function () {
  this.timeout(120_000);
  let dir: string;
  let n = 0;
  const masterKeyBase64 = crypto.randomBytes(32).toString('base64');
  const masterKey = MasterKey.fromBase64(masterKeyBase64);
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sign-log-tampering-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A data directory with a 5-entry log and checkpoints at the given entries. */
  async function dataDirWithLog(checkpointsAt: number[] = []): Promise<{ dataDir: string; file: string }> {
    const dataDir = path.join(dir, `data-${++n}`);
    const file = path.join(dataDir, 'signservice.sqlite');
    const store = await openEmbeddedStore(file, storeKeysFor(masterKey));
    for (let d = 1; d <= ENTRIES; d++) {
      await store.signLog.append(logInput(new Date(Date.UTC(2025, 2, d)), { requestId: `req-${d}` }));
      if (checkpointsAt.includes(d)) await makeSignLogCheckpoint({ store, masterKey });
    }
    await store.close();
    return { dataDir, file };
  }
  const env = (dataDir: string) => ({
    SIGNSERVICE_DATA_DIR: dataDir,
    MONGO_URL: '',
    SIGNSERVICE_MASTER_KEY: masterKeyBase64,
  });
  const verify = (dataDir: string) => runCli(['audit', 'verify'], env(dataDir));

  it('an untouched log verifies: exit 0, "OK" with the count, the last checkpoint and the last hash', async () => {
    const { dataDir, file } = await dataDirWithLog([3]);
    const r = await verify(dataDir);
    assert.equal(r.code, 0, r.stderr);
    const store = await openEmbeddedStore(file, storeKeysFor(masterKey));
    const entries = await allEntries(store);
    const [checkpoint] = await store.signLogCheckpoints.list();
    await store.close();
    assert.equal(
      r.stdout,
      `OK: ${ENTRIES} entries, the keyed chain is intact; last checkpoint #1 at entry 3, ` +
        `${checkpoint!.time.toISOString()}, not timestamped; 2 entries after it; last hash ${entries.at(-1)!.hash}\n`,
    );
    const byFlag = await runCli(['audit', 'verify', '--data-dir', dataDir], {
      MONGO_URL: '',
      SIGNSERVICE_MASTER_KEY: masterKeyBase64,
    });
    assert.equal(byFlag.code, 0, byFlag.stderr);
    assert.match(byFlag.stdout, /^OK: 5 entries/);
  });

  it('the file refuses plain edits and deletions of entries and checkpoints (append-only triggers)', async () => {
    const { file } = await dataDirWithLog([5]);
    const raw = new Database(file);
    try {
      assert.throws(() => raw.prepare("UPDATE sign_log SET time = '2020-01-01' WHERE seq = 2").run(), /append-only/);
      assert.throws(() => raw.prepare("UPDATE sign_log SET mac = 'ab' WHERE seq = 2").run(), /append-only/);
      assert.throws(() => raw.prepare('DELETE FROM sign_log WHERE seq = 2').run(), /append-only/);
      assert.throws(() => raw.prepare("UPDATE sign_log_checkpoints SET hash = 'x'").run(), /append-only/);
      assert.throws(() => raw.prepare('DELETE FROM sign_log_checkpoints').run(), /append-only/);
      assert.throws(() => raw.prepare('DELETE FROM service_keys').run(), /never replaced/);
    } finally {
      raw.close();
    }
  });

  it('THE attack: entry 3 rewritten, every hash, link, MAC and checkpoint hash recomputed without the master key', async () => {
    const { dataDir, file } = await dataDirWithLog([5]);
    tamper(file, (raw) => rewriteAndRehash(raw, 3, 'mallory'));
    const r = await verify(dataDir);
    assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
    assert.equal(
      r.stdout,
      'BROKEN at entry 3: entry 3 was altered (its MAC does not match: it was written or rewritten without the ' +
        'master key); entries 1 to 2 are intact\n',
    );
  });

  const cases: { name: string; checkpointsAt?: number[]; sql: string; expect: RegExp }[] = [
    {
      name: 'editing a field of entry 3',
      sql: "UPDATE sign_log SET body = json_set(body, '$.actor.login', 'mallory') WHERE seq = 3",
      expect: /^BROKEN at entry 3: entry 3 was altered \(its hash does not match its content\)/,
    },
    {
      name: 'editing the time of entry 2',
      sql: "UPDATE sign_log SET time = '2025-03-09T12:00:00.000Z' WHERE seq = 2",
      expect: /^BROKEN at entry 2: entry 2 was altered/,
    },
    {
      name: 'deleting entry 3 (a middle entry)',
      sql: 'DELETE FROM sign_log WHERE seq = 3',
      expect: /^BROKEN at entry 3: entry 3 is missing/,
    },
    {
      name: 'swapping entries 2 and 4',
      sql: `UPDATE sign_log SET seq = -2 WHERE seq = 2; UPDATE sign_log SET seq = 2 WHERE seq = 4;
            UPDATE sign_log SET seq = 4 WHERE seq = -2;`,
      expect: /^BROKEN at entry 2: entry 2 does not link to entry 1/,
    },
    {
      name: 'overwriting the body of entry 4 with garbage',
      sql: "UPDATE sign_log SET body = 'not json' WHERE seq = 4",
      expect: /^BROKEN at entry 4: sign log entry 4 is unreadable \(its body is not valid JSON\)/,
    },
    {
      name: "copying entry 1's MAC onto entry 2",
      sql: 'UPDATE sign_log SET mac = (SELECT mac FROM sign_log WHERE seq = 1) WHERE seq = 2',
      expect: /^BROKEN at entry 2: entry 2 was altered \(its MAC does not match/,
    },
    {
      name: 'cutting off entries 4 and 5, which checkpoint #1 covers',
      checkpointsAt: [5],
      sql: 'DELETE FROM sign_log WHERE seq >= 4',
      expect:
        /^BROKEN at entry 4: entries 4 to 5 are missing: checkpoint #1 of \S+ covers the log up to entry 5 \(the log was cut short\)/,
    },
    {
      name: 'removing every MAC to pass the log off as one of the old format',
      checkpointsAt: [2],
      sql: 'UPDATE sign_log SET mac = NULL',
      expect: /^BROKEN at entry 1: entry 1 has no MAC/,
    },
    {
      name: 'removing the MAC of entry 3',
      checkpointsAt: [2],
      sql: 'UPDATE sign_log SET mac = NULL WHERE seq = 3',
      expect: /^BROKEN at entry 3: entry 3 has no MAC \(it was written outside SignService\)/,
    },
    {
      name: 'deleting checkpoint #1 of two',
      checkpointsAt: [2, 4],
      sql: 'DELETE FROM sign_log_checkpoints WHERE number = 1',
      expect: /^BROKEN at checkpoint #1 \(entry 4\): checkpoint #1 is missing/,
    },
    {
      name: "moving checkpoint #1 to entry 3 (its signature covers entry 2's hash)",
      checkpointsAt: [2],
      sql: 'UPDATE sign_log_checkpoints SET seq = 3, hash = (SELECT hash FROM sign_log WHERE seq = 3)',
      expect: /^BROKEN at checkpoint #1 \(entry 3\): checkpoint #1 does not verify with the service certificate/,
    },
  ];
  for (const c of cases) {
    it(`${c.name}: exit 1 and the first bad entry is named`, async () => {
      const { dataDir, file } = await dataDirWithLog(c.checkpointsAt);
      tamper(file, (raw) => raw.exec(c.sql));
      const r = await verify(dataDir);
      assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
      assert.match(r.stdout, c.expect);
    });
  }

  it('a checkpoint signed by another key, added to the store: refused as forged', async () => {
    const { dataDir, file } = await dataDirWithLog([2]);
    const foreign = await foreignServiceKey();
    tamper(file, (raw) => {
      const head = raw
        .prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM sign_log ORDER BY seq DESC LIMIT 1')
        .get()!;
      const forged = signCheckpoint(foreign, head, new Date());
      raw
        .prepare(
          'INSERT INTO sign_log_checkpoints (number, seq, hash, time, signature, certificate_sha256) VALUES (2, ?, ?, ?, ?, ?)',
        )
        .run(forged.seq, forged.hash, forged.time.toISOString(), forged.signature, forged.certificateSha256);
    });
    const r = await verify(dataDir);
    assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
    assert.match(
      r.stdout,
      /^BROKEN at checkpoint #2 \(entry 5\): checkpoint #2 was signed by another key .* it is forged/,
    );
  });

  it("replacing the service certificate and re-signing the checkpoints with one's own key: refused", async () => {
    const { dataDir, file } = await dataDirWithLog([3]);
    const foreign = await foreignServiceKey();
    tamper(file, (raw) => {
      const cp = raw
        .prepare<[], { seq: number; hash: string; time: string }>('SELECT * FROM sign_log_checkpoints')
        .get()!;
      const forged = signCheckpoint(foreign, cp, new Date(cp.time));
      raw
        .prepare('UPDATE sign_log_checkpoints SET signature = ?, certificate_sha256 = ?')
        .run(forged.signature, forged.certificateSha256);
      raw.prepare('UPDATE service_keys SET certificate = ?').run(foreign.certificate.raw.toString('base64'));
    });
    const r = await verify(dataDir);
    assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
    assert.match(
      r.stdout,
      /^BROKEN at checkpoint #1 \(entry 3\): the sign log's service key in the store has a certificate that does not belong to it/,
    );
  });

  it('the service refuses to build on a log whose MACs were removed (audit checkpoint runs its start-up upgrade)', async () => {
    const { dataDir, file } = await dataDirWithLog([2]);
    tamper(file, (raw) => raw.exec('UPDATE sign_log SET mac = NULL'));
    const r = await runCli(['audit', 'checkpoint'], env(dataDir));
    assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /the sign log is broken at entry 1: entry 1 has no MAC although this log is keyed/);
  });

  it('LIMIT: cutting off entries after the last checkpoint goes unnoticed (the checkpoint interval bounds it)', async () => {
    const { dataDir, file } = await dataDirWithLog([3]);
    tamper(file, (raw) => raw.exec('DELETE FROM sign_log WHERE seq > 3'));
    const r = await verify(dataDir);
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    assert.match(
      r.stdout,
      /^OK: 3 entries, the keyed chain is intact; last checkpoint #1 at entry 3, .*; 0 entries after it/,
    );
  });

  it('LIMIT: a log stripped of MACs, checkpoints and service key is upgraded again, but under a new service certificate', async () => {
    const { dataDir, file } = await dataDirWithLog([5]);
    const certBefore = path.join(dir, `before-${n}.crt`);
    assert.equal((await runCli(['audit', 'export-cert', '-o', certBefore], env(dataDir))).code, 0);
    tamper(file, (raw) => {
      raw.exec('DELETE FROM sign_log_checkpoints; DELETE FROM service_keys; UPDATE sign_log SET mac = NULL');
      rewriteAndRehash(raw, 3, 'mallory');
      raw.exec('UPDATE sign_log SET mac = NULL');
    });
    const checkpoint = await runCli(['audit', 'checkpoint'], env(dataDir));
    assert.equal(checkpoint.code, 0, checkpoint.stderr);
    assert.equal((await verify(dataDir)).code, 0, 'with nothing left to compare against, the store alone cannot tell');
    const exported = path.join(dir, `after-${n}.jsonl`);
    assert.equal((await runCli(['audit', 'export', '--format', 'jsonl', '-o', exported], env(dataDir))).code, 0);
    const offline = await runCli(['audit', 'verify', '--offline', exported, '--cert', certBefore], {
      SIGNSERVICE_MASTER_KEY: '',
    });
    assert.equal(offline.code, 1, offline.stdout);
    assert.match(offline.stdout, /^BROKEN at checkpoint #1 \(entry 5\): checkpoint #1 was signed by another key/);
  });

  it('a data directory without a store: a clear error, and no empty store is created', async () => {
    const empty = path.join(dir, `empty-${++n}`);
    const r = await verify(empty);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /No SignService data directory at .*name yours with --data-dir DIR, the SIGNSERVICE_DATA_DIR/,
    );
    assert.equal(fs.existsSync(empty), false);
  });
});
