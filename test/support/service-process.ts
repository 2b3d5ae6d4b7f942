/**
 * Test support: the service's own entry points (`node dist/activity/main.js`, `node dist/worker/main.js`)
 * as child processes, the way an operator starts them — real signals, real ports, output captured. Each
 * gets ports of its own: the activity its public PORT and its operations OPS_PORT (never the default 8082,
 * which parallel runs on one machine would fight over), the worker its WORKER_PORT. A process counts as
 * started when its operations /health answers; `waitReady` waits for /ready (store, queue and tokens
 * usable); `get` reads the operations listener (/health, /ready, /metrics).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The compiled entry points. */
export const ENTRY = {
  /** `npm start`: HTTP app, plus the worker in embedded mode. */
  activity: path.join(DIST, 'activity/main.js'),
  /** `npm run start:worker`. */
  worker: path.join(DIST, 'worker/main.js'),
} as const;

export interface ServiceProcess {
  readonly child: ChildProcess;
  /** http://127.0.0.1:PORT: the public app of the activity, the operations port of a worker. */
  readonly url: string;
  /** http://127.0.0.1:PORT of /health, /ready and /metrics (OPS_PORT; a worker's WORKER_PORT). */
  readonly opsUrl: string;
  /** Everything it wrote so far (stdout and stderr, interleaved as received). */
  output(): string;
  /** Resolves with the exit code (or signal name) when it ends. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Polls /ready until it answers 200. */
  waitReady(timeoutMs?: number): Promise<unknown>;
  /** GET a path of its operations port: status and body text. */
  get(pathname: string): Promise<{ status: number; body: string }>;
  /** Sends `signal` and waits for the exit (fails after `timeoutMs`). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface StartOptions {
  entry: keyof typeof ENTRY;
  /** Port of its HTTP endpoints; passed as PORT (activity) or WORKER_PORT (worker). */
  port: number;
  /** The activity's OPS_PORT. @default a free port (env.OPS_PORT wins) */
  opsPort?: number;
  env: NodeJS.ProcessEnv;
  args?: string[];
  /** @default 30000 */
  startTimeoutMs?: number;
}

type Exit = { code: number | null; signal: NodeJS.Signals | null };

/** GET `url` + `pathname`: status and body text. */
async function httpGet(url: string, pathname: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${url}${pathname}`);
  return { status: response.status, body: await response.text() };
}

/** Polls until `pathname` answers 200 (its body), the process ends, or time runs out. */
async function poll200(
  proc: { name: string; url: string; ended: () => boolean; output: () => string },
  pathname: string,
  what: string,
  timeoutMs: number,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (proc.ended()) throw new Error(`${proc.name} exited before ${what}:\n${proc.output()}`);
    try {
      const r = await httpGet(proc.url, pathname);
      if (r.status === 200) return r.body;
      last = `${r.status} ${r.body}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`${proc.name} not ${what} after ${timeoutMs} ms (last: ${last}):\n${proc.output()}`);
}

/** Resolves with the exit, or fails when it does not come within `timeoutMs`. */
async function exitWithin(exited: Promise<Exit>, timeoutMs: number, describe: () => string): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(describe())), timeoutMs);
  });
  try {
    return await Promise.race([exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts the entry point with `env` over this process's environment (HOST=127.0.0.1) and waits until its
 * /health answers. Fails with the captured output when it exits first or never answers.
 */
export async function startServiceProcess(options: StartOptions): Promise<ServiceProcess> {
  const worker = options.entry === 'worker';
  const portVar = worker ? 'WORKER_PORT' : 'PORT';
  const opsPort = worker ? options.port : Number(options.env.OPS_PORT ?? options.opsPort ?? (await freePort()));
  const child = spawn(process.execPath, [ENTRY[options.entry], ...(options.args ?? [])], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      // The machine's /etc/signservice/signservice.env stays out of the tests (a test may name its own file).
      SIGNSERVICE_CONFIG: '/dev/null',
      ...options.env,
      [portVar]: String(options.port),
      ...(worker ? {} : { OPS_PORT: String(opsPort) }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (d: Buffer) => {
      output += d.toString();
    });
  }
  let ended = false;
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      ended = true;
      resolve({ code, signal });
    });
  });
  const proc = {
    name: options.entry,
    url: `http://127.0.0.1:${opsPort}`,
    ended: () => ended,
    output: () => output,
  };
  const service: ServiceProcess = {
    child,
    url: `http://127.0.0.1:${options.port}`,
    opsUrl: proc.url,
    output: proc.output,
    exited,
    get: (pathname) => httpGet(proc.url, pathname),
    waitReady: async (timeoutMs = 30_000) => JSON.parse(await poll200(proc, '/ready', 'ready', timeoutMs)) as unknown,
    async stop(signal = 'SIGTERM', timeoutMs = 30_000) {
      if (!ended) child.kill(signal);
      return exitWithin(
        exited,
        timeoutMs,
        () => `${options.entry} did not exit within ${timeoutMs} ms of ${signal}:\n${output}`,
      );
    },
  };
  try {
    await poll200(proc, '/health', 'started', options.startTimeoutMs ?? 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return service;
}
