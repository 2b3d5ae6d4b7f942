/**
 * The sign log as the service process (`npm start`, embedded mode) keeps it: a head is checkpointed when
 * the service starts and when it stops gracefully; an old unkeyed log is upgraded at start, with a warning;
 * an old log that was tampered with stops the service from starting, naming the entry.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createVersion3Store } from '../store/legacy-sqlite-log.js';
import { legacyEntries } from '../store/store-fixtures.js';
import { runCli } from '../support/cli.js';
import { ENTRY, freePort, startServiceProcess } from '../support/service-process.js';

describe('sign log checkpoints of the service process (npm start, embedded)', function () {
  this.timeout(120_000);
  let dir: string;
  let n = 0;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sign-log-service-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The environment of a fresh data directory. */
  function freshEnv(): NodeJS.ProcessEnv {
    return {
      SIGNSERVICE_DATA_DIR: path.join(dir, `data-${++n}`),
      SIGNSERVICE_MASTER_KEY: crypto.randomBytes(32).toString('base64'),
      MONGO_URL: '',
      AMQP_URL: '',
      SIGNSERVICE_TOKENS: '',
      B24_CLIENT_ID: '',
      B24_CLIENT_SECRET: '',
    };
  }
  async function cli(env: NodeJS.ProcessEnv, ...args: string[]): Promise<string> {
    const r = await runCli(args, env);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  it('checkpoints the head at start and again at SIGTERM when the head moved', async () => {
    const env = freshEnv();
    await cli(env, 'init');
    await cli(env, 'account', 'add', 'mary', '--email', 'mary@example.org');
    const service = await startServiceProcess({ entry: 'activity', port: await freePort(), env });
    try {
      assert.match(
        await cli(env, 'audit', 'verify'),
        /^OK: 1 entry, the keyed chain is intact; last checkpoint #1 at entry 1,/,
      );
      await cli(env, 'account', 'add', 'ivan', '--email', 'ivan@example.org');
    } finally {
      assert.deepEqual(await service.stop('SIGTERM', 30_000), { code: 0, signal: null }, service.output());
    }
    assert.match(
      await cli(env, 'audit', 'verify'),
      /^OK: 2 entries, .*last checkpoint #2 at entry 2, .*; 0 entries after it;/,
    );
  });

  it('an old unkeyed log is upgraded at start: a warning, MACs, a first checkpoint', async () => {
    const env = freshEnv();
    createVersion3Store(path.join(String(env.SIGNSERVICE_DATA_DIR), 'signservice.sqlite'), legacyEntries(3));
    assert.match(
      await cli(env, 'audit', 'verify'),
      /^OK: 3 entries in the old unkeyed format, the hash chain is intact/,
    );
    const service = await startServiceProcess({ entry: 'activity', port: await freePort(), env });
    assert.deepEqual(await service.stop('SIGTERM', 30_000), { code: 0, signal: null });
    assert.match(
      service.output(),
      /"level":"warn","msg":"sign log upgraded: MACs added to the entries of the old unkeyed format".*"entries":3/,
    );
    assert.match(
      await cli(env, 'audit', 'verify'),
      /^OK: 3 entries, the keyed chain is intact; last checkpoint #1 at entry 3,/,
    );
  });

  it('an old log that was tampered with: the service does not start (exit 1) and names the entry', async () => {
    const env = freshEnv();
    const file = path.join(String(env.SIGNSERVICE_DATA_DIR), 'signservice.sqlite');
    createVersion3Store(file, legacyEntries(4, { seq: 2, login: 'mallory' }));
    const child = spawn(process.execPath, [ENTRY.activity], {
      env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(await freePort()) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) stream.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 1, output);
    assert.match(output, /signservice: cannot start: the sign log is broken at entry 2: entry 2 was altered/);
    const verify = await runCli(['audit', 'verify'], env);
    assert.equal(verify.code, 1);
    assert.match(verify.stdout, /^BROKEN at entry 2: entry 2 was altered \(its hash does not match its content\)/);
  });
});
