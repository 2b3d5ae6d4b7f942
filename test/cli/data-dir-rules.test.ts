/**
 * Which data directory a command uses, and that no command but the init-type ones makes one: the built CLI
 * run as an operator would, from a folder that is not the data directory's, with the directory named by the
 * flag, the environment, or a configuration file (SIGNSERVICE_CONFIG, standing in for
 * /etc/signservice/signservice.env).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadServiceConfig } from '../../shared/config.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { type CliResult, runCli } from '../support/cli.js';
import { getCorpus } from '../support/corpus.js';
import { CLEAN_ENV, expectOneLineError } from './cli-expect.js';

const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What every refusal of a missing data directory must say. */
function expectRefusal(r: CliResult, dir: string, named: RegExp): void {
  expectOneLineError(r, 66, new RegExp(`No SignService data directory at ${literally(dir)} `));
  assert.match(r.stderr, named, r.stderr);
  assert.match(
    r.stderr,
    /--data-dir DIR, the SIGNSERVICE_DATA_DIR environment variable, or a line SIGNSERVICE_DATA_DIR=DIR in /,
  );
  assert.match(r.stderr, /signservice init/);
}

describe('the data directory rules of the CLI', function () {
  this.timeout(120_000);
  let root: string;
  let elsewhere: string;
  let pdf: string;
  const env = (extra: NodeJS.ProcessEnv = {}) => ({
    ...CLEAN_ENV,
    MONGO_URL: '',
    AMQP_URL: '',
    SIGNSERVICE_TOKENS: '',
    ...extra,
  });

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-data-dir-rules-'));
    elsewhere = path.join(root, 'home', 'ops');
    fs.mkdirSync(elsewhere, { recursive: true });
    pdf = (await getCorpus()).good.find((f) => f.name === 'reportlab-classic.pdf')!.path;
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('run from a folder without a data directory, no command but init-type ones creates one or succeeds', async () => {
    const missing = path.join(elsewhere, 'data');
    const refused: string[][] = [
      ['account', 'list'],
      ['account', 'add', 'mary'],
      ['account', 'grant', 'mary', 'deadbeefdead'],
      ['admin', 'token', 'list'],
      ['request', 'status', '5df8c4fa-8a23-4ce8-81c6-360062270be0'],
      ['audit', 'verify'],
      ['audit', 'export'],
      ['queue', 'parked'],
      ['doctor'],
      ['backup', path.join(root, 'backup-of-nothing')],
      ['ca', 'issue', '--cn', 'Mary', '--org', 'ACME', '--email', 'm@acme.test'],
      ['ca', 'revoke', '7d414853d2f5b309'],
      ['ca', 'crl', '-o', path.join(root, 'x.crl')],
      ['ca', 'export-root', '-o', path.join(root, 'root')],
      ['cert', 'list'],
      ['sign', pdf, '-o', path.join(root, 'out.pdf'), '--cert-id', '7d414853d2f5b309'],
    ];
    for (const args of refused) {
      const r = await runCli(args, env(), { cwd: elsewhere });
      expectRefusal(r, missing, /\(the default \.\/data in the current folder\)/);
      assert.equal(fs.existsSync(missing), false, `${args.join(' ')} created ${missing}`);
    }
    for (const made of ['backup-of-nothing', 'x.crl', 'root', 'out.pdf']) {
      assert.equal(fs.existsSync(path.join(root, made)), false, `${made} must not be written`);
    }
  });

  it('a data directory without a store (only the CA is there): store commands refuse and make no store', async () => {
    const dir = path.join(root, 'ca-only');
    const ca = await runCli(['ca', 'init', '--cn', 'Rules CA', '--key-type', 'ec-p256', '--data-dir', dir], env());
    assert.equal(ca.code, 0, ca.stderr);
    assert.match(ca.stdout, /data directory from --data-dir/);
    for (const args of [
      ['account', 'add', 'mary'],
      ['audit', 'verify'],
      ['queue', 'parked'],
    ]) {
      const r = await runCli([...args, '--data-dir', dir], env(), { cwd: elsewhere });
      expectOneLineError(r, 66, /holds no SignService store \(signservice\.sqlite\)/);
      assert.match(
        r.stderr,
        new RegExp(`${literally(dir)} \\(--data-dir\\).*signservice init --data-dir ${literally(dir)}`),
      );
      assert.equal(fs.existsSync(path.join(dir, 'signservice.sqlite')), false, `${args[0]} made a store`);
      assert.equal(fs.existsSync(path.join(dir, 'queue.sqlite')), false, `${args[0]} made a queue`);
    }
    // The CA's own commands work there: they need the directory, not the store.
    const listed = await runCli(['cert', 'list', '--data-dir', dir], env(), { cwd: elsewhere });
    assert.equal(listed.code, 0, listed.stderr);
  });

  it('init makes the directory, the master key and the store; a store lost later is refused, not remade', async () => {
    const dir = path.join(root, 'made-by-init');
    const init = await runCli(['init', '--json'], env({ SIGNSERVICE_DATA_DIR: dir }), { cwd: elsewhere });
    assert.equal(init.code, 0, init.stderr);
    const made = JSON.parse(init.stdout) as { dataDir: string; dataDirNamed: string; created: boolean };
    assert.deepEqual([made.dataDir, made.dataDirNamed, made.created], [dir, 'SIGNSERVICE_DATA_DIR', true]);
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    for (const file of ['master.key', 'signservice.sqlite', 'signservice.sqlite.created']) {
      assert.equal(fs.statSync(path.join(dir, file)).mode & 0o777, 0o600, file);
    }
    const add = await runCli(['account', 'add', 'mary'], env({ SIGNSERVICE_DATA_DIR: dir }), { cwd: elsewhere });
    assert.equal(add.code, 0, add.stderr);

    fs.rmSync(path.join(dir, 'signservice.sqlite'));
    for (const args of [['account', 'list'], ['init']]) {
      const r = await runCli(args, env({ SIGNSERVICE_DATA_DIR: dir }), { cwd: elsewhere });
      expectOneLineError(r, 74, /signservice\.sqlite is missing, but this data directory had a store/);
    }
    assert.equal(fs.existsSync(path.join(dir, 'signservice.sqlite')), false, 'no empty store in its place');
  });

  it('the configuration file names the data directory for a command run from any folder; environment and flag win', async () => {
    const dir = path.join(root, 'from-file');
    const file = path.join(root, 'signservice.env');
    fs.writeFileSync(file, `# SignService\nSIGNSERVICE_DATA_DIR=${dir}\nDEFAULT_LANGUAGE="en"\n\n`);
    const withFile = env({ SIGNSERVICE_CONFIG: file });
    const init = await runCli(['init'], withFile, { cwd: elsewhere });
    assert.equal(init.code, 0, init.stderr);
    assert.match(
      init.stdout,
      new RegExp(
        `Made the SignService data directory ${literally(dir)} \\(SIGNSERVICE_DATA_DIR in ${literally(file)}\\)`,
      ),
    );
    assert.equal((await runCli(['account', 'add', 'olga'], withFile, { cwd: elsewhere })).code, 0);
    const listed = await runCli(['account', 'list', '--json'], withFile, { cwd: root });
    assert.deepEqual(
      (JSON.parse(listed.stdout) as { login: string }[]).map((a) => a.login),
      ['olga'],
    );
    // The environment wins over the file, the flag over both: each refusal names where the directory came from.
    const fromEnv = path.join(root, 'named-by-env');
    expectRefusal(
      await runCli(['account', 'list'], { ...withFile, SIGNSERVICE_DATA_DIR: fromEnv }, { cwd: elsewhere }),
      fromEnv,
      /\(SIGNSERVICE_DATA_DIR\)/,
    );
    const fromFlag = path.join(root, 'named-by-flag');
    expectRefusal(
      await runCli(['account', 'list', '--data-dir', fromFlag], { ...withFile, SIGNSERVICE_DATA_DIR: fromEnv }),
      fromFlag,
      /\(--data-dir\)/,
    );
    // The service reads the same file the same way.
    const config = loadServiceConfig({ SIGNSERVICE_CONFIG: file, PATH: '/usr/bin' });
    assert.deepEqual(
      [config.dataDir, config.dataDirNamed, config.defaultLanguage],
      [dir, `SIGNSERVICE_DATA_DIR in ${file}`, 'en'],
    );
    // An empty variable (docker-compose's `${MAIL_FROM:-}`) counts as not set: the file's value, else the default.
    const empty = loadServiceConfig({ SIGNSERVICE_CONFIG: file, DEFAULT_LANGUAGE: '', MAIL_FROM: '' });
    assert.deepEqual([empty.defaultLanguage, empty.mail.from], ['en', 'SignService <signservice@localhost>']);
  });

  it('refuses a configuration file it cannot trust, naming the file and the line', async () => {
    const write = (name: string, text: string) => {
      const file = path.join(root, name);
      fs.writeFileSync(file, text);
      return file;
    };
    const cases: [string, RegExp][] = [
      [write('typo.env', 'SIGNSERVICE_DATADIR=/srv/signservice\n'), /SIGNSERVICE_DATADIR is not a SignService setting/],
      [
        write('bad-line.env', '# ok\nSIGNSERVICE_DATA_DIR /srv/signservice\n'),
        /bad-line\.env, line 2: expected NAME=value/,
      ],
      [write('relative.env', 'SIGNSERVICE_DATA_DIR=data\n'), /SIGNSERVICE_DATA_DIR must be an absolute path/],
      [
        path.join(root, 'no-such.env'),
        /Cannot read the configuration file .*no-such\.env \(SIGNSERVICE_CONFIG\): no such file or folder/,
      ],
    ];
    for (const [file, message] of cases) {
      const r = await runCli(['account', 'list'], env({ SIGNSERVICE_CONFIG: file }), { cwd: elsewhere });
      expectOneLineError(r, 78, message);
      assert.throws(
        () => loadServiceConfig({ SIGNSERVICE_CONFIG: file }),
        (e: unknown) => e instanceof AppError && e.code === ErrorCode.CONFIG_INVALID && message.test(e.message),
      );
    }
  });
});
