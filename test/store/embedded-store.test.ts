/**
 * The embedded (SQLite) store: the shared contract on temporary files, plus what only a file can show —
 * durability across close/reopen, schema upgrades of older files (an old unkeyed sign log gets its MACs and
 * a first checkpoint), and other processes appending at the same time. Tampering with the file behind
 * SignService's back: sign-log-tampering.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { verifySignLogChain } from '../../shared/audit/sign-log-chain.js';
import { createSignLogCheckpointer } from '../../shared/audit/sign-log-checkpointer.js';
import { SignLogKey } from '../../shared/audit/sign-log-key.js';
import { MasterKey } from '../../shared/crypto/master-key.js';
import { createLogger } from '../../shared/logger.js';
import { storeKeysFor } from '../../shared/store/create-store.js';
import { openEmbeddedStore } from '../../shared/store/embedded/embedded-store.js';
import { MIGRATIONS, SCHEMA_SQL, SCHEMA_VERSION } from '../../shared/store/embedded/sqlite-schema.js';
import type { Store } from '../../shared/store/store-ports.js';
import { createVersion3Store, insertLegacyRows } from './legacy-sqlite-log.js';
import { makeSignRequest } from './sign-request-contract.js';
import { describeStoreContract } from './store-contract.js';
import { allEntries, enrolled, fakeSecret, legacyEntries, logInput, rejectsWith } from './store-fixtures.js';

const STORE_MODULE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../shared/store/embedded/embedded-store.js',
);

const moduleUrl = (relative: string) =>
  JSON.stringify(pathToFileURL(path.resolve(path.dirname(STORE_MODULE), relative)).href);

/**
 * A child process that opens the store with the master key (base64) it is given, says "ready", waits for a
 * line on stdin, then appends `count` entries.
 */
const APPENDER = `
import { openEmbeddedStore } from ${moduleUrl('embedded-store.js')};
import { storeKeysFor } from ${moduleUrl('../create-store.js')};
import { MasterKey } from ${moduleUrl('../../crypto/master-key.js')};
const [file, count, tag] = process.argv.slice(2);
const store = await openEmbeddedStore(file, storeKeysFor(MasterKey.fromBase64(process.env.TEST_MASTER_KEY)));
process.stdout.write('ready\\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
for (let i = 0; i < Number(count); i++) {
  await store.signLog.append({ time: new Date(), action: 'signed', actor: { role: 'system' }, outcome: 'ok', requestId: tag + '-' + i });
}
await store.close();
process.stdin.destroy();
`;

const silentLogger = createLogger({ sink: () => {} });

describe('embedded store (SQLite)', function () {
  this.timeout(120_000);
  let dir: string;
  let n = 0;
  const masterKeyBytes = crypto.randomBytes(32);
  const masterKey = MasterKey.fromBytes(masterKeyBytes);
  const keys = storeKeysFor(masterKey);
  const freshFile = () => path.join(dir, `store-${++n}`, 'nested', 'signservice.sqlite');
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embedded-store-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const fileOf = new WeakMap<Store, string>();
  describeStoreContract('embedded (SQLite)', {
    async open(contractKeys) {
      const file = freshFile();
      const store = await openEmbeddedStore(file, contractKeys);
      fileOf.set(store, file);
      return store;
    },
    async writeLegacyEntries(store, entries) {
      insertLegacyRows(fileOf.get(store) as string, entries);
    },
    async reopen(store, keys) {
      return openEmbeddedStore(fileOf.get(store) as string, keys);
    },
  });

  it('creates the directory and a WAL-mode file with the schema', async () => {
    const file = freshFile();
    const store = await openEmbeddedStore(file, keys);
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
        'service_keys',
        'settings',
        'sign_log',
        'sign_log_checkpoints',
        'sign_requests',
      ]);
      assert.equal(raw.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    } finally {
      raw.close();
      await store.close();
    }
  });

  it('blobs: the folder is made owner-only on the first put, and again when it was removed meanwhile', async () => {
    const file = freshFile();
    const store = await openEmbeddedStore(file, keys);
    const blobs = path.join(path.dirname(file), 'blobs');
    try {
      const key = `${crypto.randomUUID()}.signed.${'a'.repeat(64)}`;
      await store.blobs.put(key, Buffer.from('one'));
      assert.equal(fs.statSync(blobs).mode & 0o777, 0o700);
      fs.rmSync(blobs, { recursive: true });
      await store.blobs.put(key, Buffer.from('two'));
      assert.deepEqual(await store.blobs.get(key), Buffer.from('two'));
      assert.equal(fs.statSync(blobs).mode & 0o777, 0o700);
    } finally {
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
    let store = await openEmbeddedStore(file, keys);
    const before = [await store.signLog.append(logInput(new Date(Date.UTC(2025, 2, 1))))];
    await store.close();
    // Reopening a current file runs no migration again.
    store = await openEmbeddedStore(file, keys);
    try {
      before.push(await store.signLog.appendOnce(logInput(new Date(Date.UTC(2025, 2, 2))), 'signed:r1'));
      assert.deepEqual(await store.signLog.appendOnce(logInput(new Date()), 'signed:r1'), before[1]);
      assert.deepEqual(await allEntries(store), before);
      assert.equal(verifySignLogChain(before, { key: keys.signLogKey }).ok, true);
      await store.signRequests.create(makeSignRequest({ id: 'r1' }));
      assert.equal((await store.signRequests.get('r1'))?.id, 'r1');
    } finally {
      await store.close();
    }
  });

  it('upgrades a version 3 file with an old unkeyed log: the start adds MACs and a first checkpoint', async () => {
    const file = freshFile();
    const old = legacyEntries(4);
    createVersion3Store(file, old);
    const store = await openEmbeddedStore(file, keys);
    try {
      const lines: string[] = [];
      const logger = createLogger({ sink: (line) => lines.push(line) });
      const checkpointer = createSignLogCheckpointer({
        store,
        masterKey,
        logger,
        config: { checkpointEveryEntries: 100, checkpointEveryMs: 600_000, tsaUrl: undefined },
      });
      await checkpointer.start();
      await checkpointer.close();
      const upgraded = await allEntries(store);
      assert.deepEqual(
        upgraded.map((e) => e.hash),
        old.map((e) => e.hash),
        'hashes unchanged',
      );
      assert.equal(verifySignLogChain(upgraded, { key: SignLogKey.fromMasterKey(masterKey) }).ok, true);
      assert.deepEqual(
        (await store.signLogCheckpoints.list()).map((c) => [c.number, c.seq, c.hash]),
        [[1, 4, old[3]!.hash]],
      );
      assert.ok(
        lines.some((l) => /"level":"warn".*sign log upgraded/.test(l) && /"entries":4/.test(l)),
        lines.join('\n'),
      );
    } finally {
      await store.close();
    }
  });

  it('a broken old log: the start refuses (SIGN_LOG_BROKEN naming the entry) and adds nothing', async () => {
    const file = freshFile();
    await (await openEmbeddedStore(file, keys)).close();
    insertLegacyRows(file, legacyEntries(4, { seq: 2, login: 'mallory' }));
    const store = await openEmbeddedStore(file, keys);
    try {
      const checkpointer = createSignLogCheckpointer({
        store,
        masterKey,
        logger: silentLogger,
        config: { checkpointEveryEntries: 100, checkpointEveryMs: 600_000, tsaUrl: undefined },
      });
      const error = await rejectsWith(checkpointer.start(), 'SIGN_LOG_BROKEN');
      assert.match(error.message, /the sign log is broken at entry 2: entry 2 was altered/);
      assert.deepEqual(await store.signLogCheckpoints.list(), []);
      assert.equal(await store.serviceKeys.get(), undefined);
      assert.equal((await allEntries(store)).filter((e) => e.mac).length, 0);
    } finally {
      await store.close();
    }
  });

  it('upgrades a version 3 file: linked accounts get their link’s portal, unlinked ones stay service-wide', async () => {
    const file = freshFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const v3 = new Database(file);
    for (const step of MIGRATIONS.slice(0, 3)) v3.exec(step);
    v3.pragma('user_version = 3');
    const insert = v3.prepare(
      `INSERT INTO accounts (id, login, login_key, description, email, email_key, bitrix_member_id, bitrix_user_id,
         status, otp_disabled, otp_failures, created_at, updated_at)
       VALUES (?, ?, ?, '', NULL, NULL, ?, ?, 'active', 0, '[]', '2025-03-01T09:00:00.000Z', '2025-03-01T09:00:00.000Z')`,
    );
    insert.run('id-linked', 'linked', 'linked', 'portal-a', 7);
    insert.run('id-free', 'free', 'free', null, null);
    v3.close();
    const store = await openEmbeddedStore(file, keys);
    try {
      assert.equal((await store.accounts.get('id-linked'))?.memberId, 'portal-a');
      assert.equal((await store.accounts.get('id-free'))?.memberId, undefined);
      assert.deepEqual(
        (await store.accounts.list({ memberId: 'portal-a' })).map((a) => a.login),
        ['linked'],
      );
      assert.equal(await store.accounts.takeOtpFailureTally('id-free', new Date(), { add: 1, minGapMs: 60_000 }), 1);
    } finally {
      await store.close();
    }
  });

  it("adds the portal's language column to a file whose portals table predates it; old rows read as unknown", async () => {
    const file = freshFile();
    await (await openEmbeddedStore(file, keys)).close();
    const raw = new Database(file);
    raw.exec(`CREATE TABLE portals (member_id TEXT PRIMARY KEY, domain TEXT NOT NULL, client_endpoint TEXT NOT NULL,
      server_endpoint TEXT NOT NULL, scope TEXT NOT NULL, user_id INTEGER, tokens TEXT, token_expires_at TEXT,
      app_token_hash TEXT, status TEXT NOT NULL, installed_at TEXT NOT NULL, updated_at TEXT NOT NULL,
      version INTEGER NOT NULL)`);
    raw
      .prepare(`INSERT INTO portals VALUES ('old', 'old.bitrix24.com', 'https://old.bitrix24.com/rest/',
        'https://oauth.bitrix.info/rest/', 'crm', 1, NULL, NULL, NULL, 'uninstalled', '2025-01-01T00:00:00.000Z',
        '2025-01-01T00:00:00.000Z', 3)`)
      .run();
    raw.close();
    const store = await openEmbeddedStore(file, keys);
    try {
      const old = await store.portals.get('old');
      assert.equal(old?.version, 3);
      assert.equal(old?.language, undefined);
      const tokens = { sealed: fakeSecret(), expiresAt: new Date('2025-03-01T11:00:00Z') };
      const install = { ...old!, language: 'ru', tokens, applicationTokenHash: 'a'.repeat(64), at: new Date() };
      assert.equal((await store.portals.upsert(install)).language, 'ru');
    } finally {
      await store.close();
    }
  });

  it('refuses a file from a newer SignService (CONFIG_INVALID) and an impossible path (FILE_IO)', async () => {
    const file = freshFile();
    await (await openEmbeddedStore(file, keys)).close();
    const raw = new Database(file);
    raw.pragma('user_version = 99');
    raw.close();
    await rejectsWith(openEmbeddedStore(file, keys), 'CONFIG_INVALID');
    const notADir = path.join(dir, `plain-file-${++n}`);
    fs.writeFileSync(notADir, '');
    await rejectsWith(openEmbeddedStore(path.join(notADir, 'signservice.sqlite'), keys), 'FILE_IO');
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
    let store = await openEmbeddedStore(file, keys);
    await store.accounts.create(account);
    await store.enrollments.create(link);
    await store.grants.grant(grant);
    const entries = [];
    for (let d = 1; d <= 3; d++) entries.push(await store.signLog.append(logInput(new Date(Date.UTC(2025, 2, d)))));
    await store.close();

    store = await openEmbeddedStore(file, keys);
    try {
      assert.deepEqual(await store.accounts.get(account.id), account);
      assert.deepEqual(await store.enrollments.getByTokenHash(link.tokenHash), link);
      assert.deepEqual(await store.grants.listForAccount(account.id), [grant]);
      assert.deepEqual(await allEntries(store), entries);
      const next = await store.signLog.append(logInput(new Date(Date.UTC(2025, 2, 4))));
      assert.equal(next.seq, 4);
      assert.equal(next.prevHash, entries[2]!.hash);
      assert.equal(verifySignLogChain(await allEntries(store), { key: keys.signLogKey }).ok, true);
    } finally {
      await store.close();
    }
  });

  it('two other processes appending at the same time as this one keep one linear chain', async () => {
    const file = freshFile();
    const script = path.join(dir, 'appender.mjs');
    fs.writeFileSync(script, APPENDER);
    const store = await openEmbeddedStore(file, keys);
    const PER = 100;
    const children = ['child-a', 'child-b'].map((tag) => {
      const child = spawn(process.execPath, [script, file, String(PER), tag], {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, TEST_MASTER_KEY: masterKeyBytes.toString('base64') },
      });
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
      const verdict = verifySignLogChain(listed, { key: keys.signLogKey });
      assert.deepEqual(verdict, {
        ok: true,
        entries: 3 * PER,
        lastHash: listed.at(-1)!.hash,
        lastMac: listed.at(-1)!.mac,
      });
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
});
