/**
 * Issue 10 item 8 against the service as an operator starts it (`npm start` in embedded mode and
 * `start:worker`, child processes), with the operator's CLI doing the rest:
 *
 * - the data directory is 0700 and every file the service and the CLI write there 0600 — SQLite files with
 *   their -wal/-shm, master.key, the internal CA's files, signed documents in blobs/, the outbox's e-mails,
 *   token snapshots — and a data directory an older version left readable is fixed at start;
 * - /ready and /metrics are not on the public port (404 there), only on the operations listener, which is
 *   bound to 127.0.0.1 (read from /proc/net/tcp) while the public port listens on every address.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makePdf } from '../pipeline/make-pdfs.js';
import { type CliResult, runCli } from '../support/cli.js';
import { freePort, type ServiceProcess, startServiceProcess } from '../support/service-process.js';
import { createSoftHsmToken, type SoftHsmToken } from '../support/softhsm.js';

/** Every path under `dir` (itself included) whose mode is not 0700 (directories) or 0600 (files). */
function notPrivate(dir: string): string[] {
  const wrong: string[] = [];
  const visit = (target: string) => {
    const stat = fs.lstatSync(target);
    const mode = stat.mode & 0o777;
    if (stat.isDirectory()) {
      if (mode !== 0o700) wrong.push(`${target} ${mode.toString(8)}`);
      for (const name of fs.readdirSync(target)) visit(path.join(target, name));
    } else if (mode !== 0o600) wrong.push(`${target} ${mode.toString(8)}`);
  };
  visit(dir);
  return wrong;
}

/** Every path under `dir`, relative. */
function listing(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

/** The local address ("127.0.0.1", "0.0.0.0", …) of the IPv4 socket listening on `port`, from /proc/net/tcp. */
function listeningAddress(port: number): string | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const [, local, , state] = line.trim().split(/\s+/);
    if (state !== '0A' || !local?.endsWith(`:${hexPort}`)) continue;
    const hex = local.split(':')[0] as string;
    return [3, 2, 1, 0].map((i) => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
  }
  return undefined;
}

describe('service hardening: a private data directory, operations endpoints off the public port', function () {
  this.timeout(180_000);
  let dir: string;
  let dataDir: string;
  let token: SoftHsmToken;
  let env: NodeJS.ProcessEnv;
  let service: ServiceProcess | undefined;
  let certId = '';

  async function cli(...args: string[]): Promise<CliResult> {
    const r = await runCli(args, env);
    assert.equal(r.code, 0, `signservice ${args.join(' ')}: ${r.stderr}`);
    return r;
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-hardening-'));
    dataDir = path.join(dir, 'data');
    const label = `Hrd${crypto.randomBytes(3).toString('hex')}`;
    token = await createSoftHsmToken({
      label,
      pin: '135790',
      identities: [{ id: 'c1', keyType: 'ecP256', cn: 'Hard' }],
    });
    const pinFile = path.join(dir, 'token.pin');
    fs.writeFileSync(pinFile, `${token.pin}\n`, { mode: 0o600 });
    env = {
      SIGNSERVICE_DATA_DIR: dataDir,
      AMQP_URL: '',
      MONGO_URL: '',
      SMTP_URL: '',
      SIGNSERVICE_MASTER_KEY: '',
      SIGNSERVICE_MASTER_KEY_FILE: '',
      SIGNSERVICE_TOKENS: JSON.stringify([{ label, module: token.modulePath, pinFile }]),
      SOFTHSM2_CONF: token.conf,
      B24_CLIENT_ID: '',
      B24_CLIENT_SECRET: '',
      LOG_LEVEL: 'info',
    };
    // What an operator does first, with the CLI: the data directory, the CA, an account, a mailed link.
    await cli('init');
    await cli('ca', 'init', '--cn', 'Hardening CA', '--key-type', 'ec-p256');
    const issued = await cli('ca', 'issue', '--cn', 'Olga', '--org', 'ACME', '--email', 'olga@acme.test', '--json');
    certId = (JSON.parse(issued.stdout) as { id: string }).id;
    await cli('account', 'add', 'olga', '--email', 'olga@acme.test', '--otp-disabled');
    await cli('account', 'grant', 'olga', certId, '--default');
    await cli('account', 'enroll-link', 'olga', '--send');
  });
  after(async () => {
    if (service) await service.stop('SIGKILL').catch(() => undefined);
    await token?.cleanup();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the CLI leaves the data directory owner-only: 0700 directories, 0600 files', () => {
    const files = listing(dataDir);
    for (const expected of ['master.key', 'signservice.sqlite', 'outbox']) {
      assert.ok(files.includes(expected), `${expected} in ${files.join(', ')}`);
    }
    assert.ok(
      files.some((f) => f.startsWith('ca')),
      files.join(', '),
    );
    assert.deepEqual(notPrivate(dataDir), []);
  });

  it('npm start fixes a directory an older version left readable, and writes nothing readable by others', async () => {
    // As an older version (or `cp -r`) left it: everything readable by group and others.
    const loosen = (target: string) => {
      const stat = fs.statSync(target);
      fs.chmodSync(target, stat.isDirectory() ? 0o755 : 0o644);
      if (stat.isDirectory()) for (const name of fs.readdirSync(target)) loosen(path.join(target, name));
    };
    loosen(dataDir);
    assert.ok(notPrivate(dataDir).length > 5);
    service = await startServiceProcess({
      entry: 'activity',
      port: await freePort(),
      env: { ...env, HOST: '0.0.0.0' },
    });
    await service.waitReady();
    assert.deepEqual(notPrivate(dataDir), [], 'fixed at start');
    assert.match(service.output(), /group and other permissions removed/);
    // A signature through the service: the queue, the signed bytes in blobs/, the token snapshot.
    const pdf = path.join(dir, 'in.pdf');
    fs.writeFileSync(pdf, await makePdf('Hardening', 1));
    const out = path.join(dir, 'out.pdf');
    await cli('request', 'submit', pdf, '--account', 'olga', '--cert', certId, '--out', out, '--wait', '60');
    const files = listing(dataDir);
    for (const expected of ['queue.sqlite', 'signservice.sqlite-wal', 'blobs']) {
      assert.ok(files.includes(expected), `${expected} in ${files.join(', ')}`);
    }
    assert.ok(
      files.some((f) => /token/i.test(f)),
      `a token snapshot in ${files.join(', ')}`,
    );
    assert.deepEqual(notPrivate(dataDir), []);
  });

  it('/ready and /metrics answer 404 on the public port; the operations listener serves them on 127.0.0.1', async () => {
    const running = service!;
    const publicPort = Number(new URL(running.url).port);
    const opsPort = Number(new URL(running.opsUrl).port);
    assert.equal((await fetch(`${running.url}/health`)).status, 200, '/health may stay public');
    for (const pathname of ['/ready', '/metrics']) {
      const response = await fetch(`${running.url}${pathname}`);
      assert.equal(response.status, 404, `public ${pathname}`);
      assert.doesNotMatch(await response.text(), /signservice_|"checks"/);
    }
    assert.equal((await running.get('/ready')).status, 200);
    assert.match((await running.get('/metrics')).body, /signservice_jobs_in_flight/);
    assert.equal(listeningAddress(publicPort), '0.0.0.0');
    assert.equal(listeningAddress(opsPort), '127.0.0.1', 'OPS_HOST defaults to loopback');
    assert.match(
      running.output(),
      new RegExp(`operations \\(OPS_HOST:OPS_PORT\\): http://127\\.0\\.0\\.1:${opsPort}/ready`),
    );
    await running.stop('SIGTERM', 30_000);
    service = undefined;
  });

  it('start:worker serves /health, /ready and /metrics on 127.0.0.1:WORKER_PORT only', async () => {
    const port = await freePort();
    service = await startServiceProcess({ entry: 'worker', port, env: { ...env, HOST: '0.0.0.0' } });
    await service.waitReady();
    assert.equal(listeningAddress(port), '127.0.0.1');
    assert.match((await service.get('/metrics')).body, /signservice_queue_up/);
    assert.deepEqual(notPrivate(dataDir), []);
    await service.stop('SIGTERM', 30_000);
    service = undefined;
  });
});
