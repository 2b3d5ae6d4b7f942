/**
 * Nothing stuck, nothing silently served — `npm start` (embedded) with a 2-second recovery sweep:
 *  - a CLI submit SIGKILLed after storing its request and before queuing its job: the request completes by
 *    itself within the sweep interval;
 *  - queue.sqlite deleted while requests wait, and a queue file with a damaged index page: the service
 *    rebuilds the queue from the store, says so, and every request completes;
 *  - a parked job whose request is still open: its request fails with the reason and a `failed` entry;
 *  - an empty store (truncated) beside the CA and master key, and a damaged store page: start refused with a
 *    message naming the file and the way to restore it; `audit verify` refuses too instead of "OK, empty".
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { SignRequest } from '../../shared/domain/sign-request.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { EmbeddedJobQueue } from '../../shared/queue/embedded/embedded-queue.js';
import { CLI, runCli } from '../support/cli.js';
import { ENTRY, freePort, type ServiceProcess, startServiceProcess } from '../support/service-process.js';
import { waitForFinal } from './exactly-once.js';
import { type InternalCa, makeInternalCa } from './internal-ca.js';
import { writePdfs } from './make-pdfs.js';
import { addSigner, signLogOf } from './pipeline-fixture.js';
import { openPipelineRun, type PipelineRun } from './pipeline-run.js';

const KILL_BEFORE_PUBLISH = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../support/kill-before-publish.js',
);
const SWEEP_SECONDS = 2;

describe('recovery: lost jobs, lost or damaged files (embedded, `npm start`)', function () {
  this.timeout(180_000);
  let run: PipelineRun;
  let ca: InternalCa;
  let env: NodeJS.ProcessEnv;
  let service: ServiceProcess | undefined;
  let pdfs: string[];
  let next = 0;

  const submitArgs = () => {
    const pdf = pdfs[next++] as string;
    return [
      'request',
      'submit',
      pdf,
      '--account',
      'olga',
      '--cert',
      ca.certId,
      '--out',
      pdf.replace(/\.pdf$/, '-signed.pdf'),
    ];
  };
  const submit = async () => {
    const r = await runCli(submitArgs(), env);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };
  const start = async () => {
    service = await startServiceProcess({ entry: 'activity', port: await freePort(), env });
    return service;
  };
  const liveJobs = async () => (await run.queue.liveMessageIds())?.size;
  const stop = async () => {
    assert.deepEqual(await service?.stop('SIGTERM'), { code: 0, signal: null });
    service = undefined;
  };

  before(async () => {
    run = await openPipelineRun('embedded', 'recovery');
    ca = await makeInternalCa(run.env, run.dir);
    await addSigner(run.store, run.masterKey, { login: 'olga', certId: ca.certId, otpDisabled: true });
    env = { ...run.env, RECOVERY_SWEEP_SECONDS: String(SWEEP_SECONDS) };
    pdfs = await writePdfs(path.join(run.dir, 'in'), 12, 'rec');
  });

  after(async () => {
    if (service) await service.stop('SIGKILL').catch(() => undefined);
    await run?.close();
  });

  it('a submit killed between the request and its job: the request completes within the sweep interval', async () => {
    await start();
    const cli = spawn(process.execPath, ['--import', KILL_BEFORE_PUBLISH, CLI, ...submitArgs()], {
      env: { ...process.env, ...env },
      stdio: 'ignore',
    });
    const exit = await new Promise<NodeJS.Signals | null>((resolve) =>
      cli.once('exit', (_code, signal) => resolve(signal)),
    );
    assert.equal(exit, 'SIGKILL', 'the CLI died before queuing the job');
    const killedAt = Date.now();
    const [request] = await run.store.signRequests.list({ state: 'approved' }, 10);
    assert.ok(request, 'the request was stored');
    assert.equal(await liveJobs(), 0, 'and has no job');
    const [done] = await waitForFinal(run.store, [request.id], { timeoutMs: 30_000, context: () => service!.output() });
    const seconds = (Date.now() - killedAt) / 1000;
    assert.equal(done?.state, 'completed');
    assert.ok(
      seconds < SWEEP_SECONDS * 2 + 2,
      `completed ${seconds.toFixed(1)} s after the kill at ${new Date(killedAt).toISOString()}:\n${service!.output()}`,
    );
    assert.match(service!.output(), /queued again requests that had no job/);
    console.log(`      completed ${seconds.toFixed(1)} s after the CLI was killed (sweep every ${SWEEP_SECONDS} s)`);
    await stop();
  });

  it('queue.sqlite deleted while requests wait: rebuilt from the store, the log says so, all complete', async () => {
    const ids = [await submit(), await submit(), await submit()];
    const queueFile = path.join(run.dataDir, 'queue.sqlite');
    assert.equal(await liveJobs(), 3);
    await run.queue.close();
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${queueFile}${suffix}`, { force: true });
    await start();
    await waitForFinal(run.store, ids, { timeoutMs: 30_000, context: () => service!.output() });
    assert.match(
      service!.output(),
      /the queue file is missing or empty: rebuilding it from the store's 3 open request/,
    );
    await stop();
    reopenQueue();
  });

  it('a damaged queue index page: moved aside and rebuilt, never served as it is', async () => {
    const ids = [await submit(), await submit(), await submit()];
    await run.queue.close();
    const queueFile = path.join(run.dataDir, 'queue.sqlite');
    damageIndexPage(queueFile, 'queue_jobs_by_route');
    await start();
    await waitForFinal(run.store, ids, { timeoutMs: 30_000, context: () => service!.output() });
    assert.match(
      service!.output(),
      /the queue file is damaged: moved aside, rebuilding it from the store's 3 open request/,
    );
    const aside = fs.readdirSync(run.dataDir).filter((n) => n.startsWith('queue.sqlite.damaged-'));
    assert.ok(aside.length >= 1, `the damaged file is kept for inspection: ${fs.readdirSync(run.dataDir).join(', ')}`);
    await stop();
    reopenQueue();
  });

  it('a parked job whose request is open: the request fails with the reason and one failed entry', async () => {
    const id = await submit();
    // A consumer without the parked-job hook parks the job, as a worker that died mid-park would leave it.
    const parking = new EmbeddedJobQueue({ file: path.join(run.dataDir, 'queue.sqlite'), pollMs: 20 });
    const poison = async () => {
      throw new AppError(ErrorCode.PDF_DAMAGED, 'no such thing');
    };
    await parking.consume(['internal'], poison, { prefetch: 1 });
    for (let i = 0; i < 100 && (await parking.depth('internal')).parked === 0; i++) await sleep(50);
    await parking.close();
    assert.equal((await run.store.signRequests.get(id))?.state, 'approved', 'the request is still open');
    await start();
    const [failed] = (await waitForFinal(run.store, [id], {
      timeoutMs: 30_000,
      context: () => service!.output(),
    })) as SignRequest[];
    assert.equal(failed?.state, 'failed');
    assert.equal(failed?.failure?.code, 'JOB_PARKED');
    assert.match(failed?.failure?.message ?? '', /Its job was parked: .*no such thing/);
    const entries = (await signLogOf(run.store)).filter((e) => e.requestId === id);
    assert.deepEqual(
      entries.map((e) => e.action),
      ['failed'],
    );
    assert.match(service!.output(), /"msg":"sign request failed"/);
    const listed = await runCli(['queue', 'parked', '--json'], env);
    assert.equal(listed.code, 0, listed.stderr);
    const parked = JSON.parse(listed.stdout) as { requestId?: string; reason: string }[];
    assert.ok(
      parked.some((p) => p.requestId === id && /no such thing/.test(p.reason)),
      listed.stdout,
    );
    await stop();
  });

  it('an empty store beside the CA and the master key: start refused, audit verify refuses too', async () => {
    const storeFile = path.join(run.dataDir, 'signservice.sqlite');
    await run.store.close();
    fs.copyFileSync(storeFile, `${storeFile}.saved`);
    try {
      for (const suffix of ['-wal', '-shm']) fs.rmSync(`${storeFile}${suffix}`, { force: true });
      fs.truncateSync(storeFile, 0);
      await assertStartRefused(new RegExp(`The store file ${storeFile} is empty, but this data directory had a store`));
      const audit = await runCli(['audit', 'verify'], env);
      assert.notEqual(audit.code, 0);
      assert.match(audit.stderr, /signservice restore/);
      assert.equal(fs.statSync(storeFile).size, 0, 'nothing was created in its place');
    } finally {
      fs.renameSync(`${storeFile}.saved`, storeFile);
    }
  });

  it('a damaged store page: start refused, naming the file and the way back', async () => {
    const storeFile = path.join(run.dataDir, 'signservice.sqlite');
    damageIndexPage(storeFile, 'sign_requests', 0);
    await assertStartRefused(
      /The store file .*signservice\.sqlite is damaged \(PRAGMA quick_check: .*signservice restore/,
    );
  });

  async function assertStartRefused(message: RegExp): Promise<void> {
    const child = spawn(process.execPath, [ENTRY.activity], {
      env: { ...process.env, ...env, PORT: String(await freePort()), HOST: '127.0.0.1' },
    });
    let output = '';
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 74, output);
    assert.match(output, message);
  }

  function reopenQueue(): void {
    (run as { queue: EmbeddedJobQueue }).queue = new EmbeddedJobQueue({ file: path.join(run.dataDir, 'queue.sqlite') });
  }
});

/** Overwrites the page header of an index or table's root page (its cell pointers become garbage). */
function damageIndexPage(file: string, name: string, offset = 8): void {
  const db = new Database(file);
  db.pragma('wal_checkpoint(TRUNCATE)');
  const root = db.prepare('SELECT rootpage FROM sqlite_master WHERE name = ?').pluck().get(name) as number;
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  const fd = fs.openSync(file, 'r+');
  const junk = Buffer.from(Array.from({ length: 200 }, (_, i) => (i * 37 + 11) & 255));
  fs.writeSync(fd, junk, 0, junk.length, (root - 1) * pageSize + offset);
  fs.closeSync(fd);
}
