/**
 * The embedded (SQLite) store: the shared contract on temporary files, plus what only a file can show —
 * durability across close/reopen, other processes appending at the same time, and tampering with the
 * file behind SignService's back, caught by `signservice audit verify`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { verifySignLogChain } from '../../shared/audit/sign-log-chain.js';
import { openEmbeddedStore } from '../../shared/store/embedded/embedded-store.js';
import { SCHEMA_SQL, SCHEMA_VERSION } from '../../shared/store/embedded/sqlite-schema.js';
import { runCli } from '../support/cli.js';
import { makeSignRequest } from './sign-request-contract.js';
import { describeStoreContract } from './store-contract.js';
import { allEntries, enrolled, fakeSecret, logInput, rejectsWith } from './store-fixtures.js';

const STORE_MODULE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../shared/store/embedded/embedded-store.js',
);

/** A child process that opens the store, says "ready", waits for a line on stdin, then appends `count` entries. */
const APPENDER = `
import { openEmbeddedStore } from ${JSON.stringify(pathToFileURL(STORE_MODULE).href)};
const [file, count, tag] = process.argv.slice(2);
const store = await openEmbeddedStore(file);
process.stdout.write('ready\\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
for (let i = 0; i < Number(count); i++) {
  await store.signLog.append({ time: new Date(), action: 'signed', actor: { role: 'system' }, outcome: 'ok', requestId: tag + '-' + i });
}
await store.close();
process.stdin.destroy();
`;

describe('embedded store (SQLite)', function () {
  this.timeout(120_000);
  let dir: string;
  let n = 0;
  const freshFile = () => path.join(dir, `store-${++n}`, 'nested', 'signservice.sqlite');
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embedded-store-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describeStoreContract('embedded (SQLite)', () => openEmbeddedStore(freshFile()));

  it('creates the directory and a WAL-mode file with the schema', async () => {
    const file = freshFile();
    const store = await openEmbeddedStore(file);
    await store.signLog.append(logInput(new Date()));
    assert.ok(fs.existsSync(`${file}-wal`), 'a write-ahead log next to the file');
    const raw = new Database(file, { readonly: true });
    try {
      assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
      const tables = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
      assert.deepEqual(tables, [
        'accounts',
        'admin_sessions',
        'api_tokens',
        'enrollment_links',
        'grants',
        'operators',
        'settings',
        'sign_log',
        'sign_requests',
      ]);
      assert.equal(raw.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    } finally {
      raw.close();
      await store.close();
    }
  });

  it('upgrades a version 1 file in place: its log keeps verifying, sign requests and appendOnce work', async () => {
    const file = freshFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const v1 = new Database(file);
    v1.pragma('journal_mode = WAL');
    v1.exec(SCHEMA_SQL);
    v1.pragma('user_version = 1');
    v1.close();
    let store = await openEmbeddedStore(file);
    const before = [await store.signLog.append(logInput(new Date(Date.UTC(2025, 2, 1))))];
    await store.close();
    // Reopening a current file runs no migration again.
    store = await openEmbeddedStore(file);
    try {
      before.push(await store.signLog.appendOnce(logInput(new Date(Date.UTC(2025, 2, 2))), 'signed:r1'));
      assert.deepEqual(await store.signLog.appendOnce(logInput(new Date()), 'signed:r1'), before[1]);
      assert.deepEqual(await allEntries(store), before);
      assert.equal(verifySignLogChain(before).ok, true);
      await store.signRequests.create(makeSignRequest({ id: 'r1' }));
      assert.equal((await store.signRequests.get('r1'))?.id, 'r1');
    } finally {
      await store.close();
    }
  });

  it('refuses a file from a newer SignService (CONFIG_INVALID) and an impossible path (FILE_IO)', async () => {
    const file = freshFile();
    await (await openEmbeddedStore(file)).close();
    const raw = new Database(file);
    raw.pragma('user_version = 99');
    raw.close();
    await rejectsWith(openEmbeddedStore(file), 'CONFIG_INVALID');
    const notADir = path.join(dir, `plain-file-${++n}`);
    fs.writeFileSync(notADir, '');
    await rejectsWith(openEmbeddedStore(path.join(notADir, 'signservice.sqlite')), 'FILE_IO');
  });

  it('keeps everything across close and reopen, and the chain continues', async () => {
    const file = freshFile();
    const account = enrolled(77, { login: 'durable', email: 'd@example.org', bitrix: { memberId: 'p', userId: 3 } });
    const link = {
      tokenHash: 'ab'.repeat(32),
      accountId: account.id,
      createdAt: new Date('2025-03-01T10:00:00Z'),
      expiresAt: new Date('2025-03-01T11:00:00Z'),
      usedAt: undefined,
      pendingSecret: fakeSecret(),
    };
    const grant = {
      accountId: account.id,
      certId: 'cert-9',
      isDefault: true,
      grantedAt: new Date('2025-03-01T09:00:00Z'),
    };
    let store = await openEmbeddedStore(file);
    await store.accounts.create(account);
    await store.enrollments.create(link);
    await store.grants.grant(grant);
    const entries = [];
    for (let d = 1; d <= 3; d++) entries.push(await store.signLog.append(logInput(new Date(Date.UTC(2025, 2, d)))));
    await store.close();

    store = await openEmbeddedStore(file);
    try {
      assert.deepEqual(await store.accounts.get(account.id), account);
      assert.deepEqual(await store.enrollments.getByTokenHash(link.tokenHash), link);
      assert.deepEqual(await store.grants.listForAccount(account.id), [grant]);
      assert.deepEqual(await allEntries(store), entries);
      const next = await store.signLog.append(logInput(new Date(Date.UTC(2025, 2, 4))));
      assert.equal(next.seq, 4);
      assert.equal(next.prevHash, entries[2]!.hash);
      assert.equal(verifySignLogChain(await allEntries(store)).ok, true);
    } finally {
      await store.close();
    }
  });

  it('two other processes appending at the same time as this one keep one linear chain', async () => {
    const file = freshFile();
    const script = path.join(dir, 'appender.mjs');
    fs.writeFileSync(script, APPENDER);
    const store = await openEmbeddedStore(file);
    const PER = 100;
    const children = ['child-a', 'child-b'].map((tag) => {
      const child = spawn(process.execPath, [script, file, String(PER), tag], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      const ready = new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`${tag} exited (${code}) before ready: ${stderr}`)));
      });
      const done = new Promise<void>((resolve, reject) => {
        child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${tag} exited ${code}: ${stderr}`))));
      });
      return { child, ready, done };
    });
    try {
      await Promise.all(children.map((c) => c.ready));
      for (const c of children) c.child.stdin.write('go\n');
      for (let i = 0; i < PER; i++) {
        await store.signLog.append(logInput(new Date(), { requestId: `parent-${i}` }));
        await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.all(children.map((c) => c.done));
      const listed = await allEntries(store);
      assert.equal(listed.length, 3 * PER);
      assert.deepEqual(verifySignLogChain(listed), { ok: true, entries: 3 * PER, lastHash: listed.at(-1)!.hash });
      for (const tag of ['parent', 'child-a', 'child-b']) {
        const own = listed.filter((e) => e.requestId?.startsWith(`${tag}-`)).map((e) => e.requestId);
        assert.deepEqual(
          own,
          Array.from({ length: PER }, (_, i) => `${tag}-${i}`),
          `${tag}'s entries, in its order`,
        );
      }
      const owners = listed.map((e) => e.requestId!.replace(/-\d+$/, ''));
      const switches = owners.filter((o, i) => i > 0 && o !== owners[i - 1]).length;
      assert.ok(switches >= 2, `the appends really interleaved (${switches} switches between writers)`);
    } finally {
      for (const c of children) c.child.kill();
      await store.close();
    }
  });

  describe('tampering with the file is caught by `signservice audit verify`', () => {
    const ENTRIES = 5;
    /** A data directory holding a store with a 5-entry sign log. */
    async function dataDirWithLog(): Promise<{ dataDir: string; file: string }> {
      const dataDir = path.join(dir, `data-${++n}`);
      const file = path.join(dataDir, 'signservice.sqlite');
      const store = await openEmbeddedStore(file);
      for (let d = 1; d <= ENTRIES; d++) {
        await store.signLog.append(logInput(new Date(Date.UTC(2025, 2, d)), { requestId: `req-${d}` }));
      }
      await store.close();
      return { dataDir, file };
    }
    /** Opens the file as an attacker would: directly, past the service, without the append-only triggers. */
    function tamper(file: string, sql: string): void {
      const raw = new Database(file);
      try {
        raw.exec('DROP TRIGGER sign_log_no_update; DROP TRIGGER sign_log_no_delete;');
        raw.exec(sql);
      } finally {
        raw.close();
      }
    }
    const verify = (dataDir: string) => runCli(['audit', 'verify'], { SIGNSERVICE_DATA_DIR: dataDir, MONGO_URL: '' });

    it('an untouched log verifies: exit 0, "OK" with the count and the last hash', async () => {
      const { dataDir, file } = await dataDirWithLog();
      const r = await verify(dataDir);
      assert.equal(r.code, 0, r.stderr);
      const store = await openEmbeddedStore(file);
      const last = (await allEntries(store)).at(-1)!;
      await store.close();
      assert.equal(r.stdout, `OK: ${ENTRIES} entries, the hash chain is intact; last hash ${last.hash}\n`);
      const byFlag = await runCli(['audit', 'verify', '--data-dir', dataDir], { MONGO_URL: '' });
      assert.equal(byFlag.code, 0, byFlag.stderr);
      assert.match(byFlag.stdout, /^OK: 5 entries/);
    });

    it('the file refuses plain edits and deletions of the log (append-only triggers)', async () => {
      const { file } = await dataDirWithLog();
      const raw = new Database(file);
      try {
        assert.throws(() => raw.prepare("UPDATE sign_log SET time = '2020-01-01' WHERE seq = 2").run(), /append-only/);
        assert.throws(() => raw.prepare('DELETE FROM sign_log WHERE seq = 2').run(), /append-only/);
      } finally {
        raw.close();
      }
    });

    const cases: { name: string; sql: string; expect: RegExp }[] = [
      {
        name: 'editing a field of entry 3',
        sql: "UPDATE sign_log SET body = json_set(body, '$.actor.login', 'mallory') WHERE seq = 3",
        expect: /^BROKEN at entry 3: entry 3 was altered/,
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
        expect: /^BROKEN at entry 4: sign log entry 4 is unreadable/,
      },
    ];
    for (const c of cases) {
      it(`${c.name}: exit 1 and the entry is named`, async () => {
        const { dataDir, file } = await dataDirWithLog();
        tamper(file, c.sql);
        const r = await verify(dataDir);
        assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
        assert.match(r.stdout, c.expect);
      });
    }

    it('a data directory without a store: a clear error, and no empty store is created', async () => {
      const empty = path.join(dir, `empty-${++n}`);
      const r = await verify(empty);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /no SignService store in .*check --data-dir or SIGNSERVICE_DATA_DIR/);
      assert.equal(fs.existsSync(empty), false);
    });
  });
});
