/**
 * Signing workers for the pipeline benchmark: `node dist/worker/main.js` processes as an operator starts
 * them, each logging to its own file (so the benchmark process spends no CPU reading their logs), each
 * with its /ready and /metrics on a port of its own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ENTRY, freePort } from '../../test/support/service-process.js';

export interface FleetWorker {
  readonly pid: number;
  readonly url: string;
  readonly logFile: string;
  /** Its /metrics text. */
  metrics(): Promise<string>;
  /** SIGTERM, then waits for the exit (SIGKILL after 60 s). */
  stop(): Promise<void>;
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-3000);
  } catch {
    return '(no log)';
  }
}

async function waitReady(child: ChildProcess, url: string, logFile: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode} at start:\n${tail(logFile)}`);
    try {
      if ((await fetch(`${url}/ready`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`worker not ready after 60 s:\n${tail(logFile)}`);
}

async function startOne(env: NodeJS.ProcessEnv, logFile: string, nodeArgs: string[]): Promise<FleetWorker> {
  const port = await freePort();
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...nodeArgs, ENTRY.worker], {
    env: { ...process.env, HOST: '127.0.0.1', ...env, WORKER_PORT: String(port) },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  await waitReady(child, url, logFile);
  return {
    pid: child.pid as number,
    url,
    logFile,
    metrics: async () => (await fetch(`${url}/metrics`)).text(),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Starts `count` workers with `env` and waits until each is ready (queue up, token logged in).
 * @param nodeArgs options for node itself, e.g. `--cpu-prof` (not allowed in NODE_OPTIONS)
 */
export async function startWorkers(
  count: number,
  env: NodeJS.ProcessEnv,
  logDir: string,
  nodeArgs: string[] = [],
): Promise<FleetWorker[]> {
  const workers: FleetWorker[] = [];
  try {
    for (let i = 1; i <= count; i++) workers.push(await startOne(env, path.join(logDir, `worker-${i}.log`), nodeArgs));
  } catch (error) {
    await Promise.all(workers.map((w) => w.stop()));
    throw error;
  }
  return workers;
}
