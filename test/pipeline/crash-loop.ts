/**
 * Kills a service process again and again while requests flow, the way a power cut or the OOM killer
 * would (SIGKILL: no shutdown code runs), restarting it each time. Each life ends in one of three ways,
 * picked at random from a seeded generator (the seed is printed, so a failure can be replayed):
 *   - 'startup': at a random moment 0–600 ms after spawn, usually before it answers /health (half-open
 *     token sessions, a broker connection being set up);
 *   - 'working': 0.3–1 s after it answers /health, wherever the jobs happen to be;
 *   - 'after-sign': the moment its log says a document was signed (recorded, not yet delivered) — the
 *     window where a careless pipeline would sign twice.
 * Before every life (or right after it is up, alternately) the next wave of requests is submitted.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { ENTRY, freePort } from '../support/service-process.js';

export type KillMode = 'startup' | 'working' | 'after-sign';

/** A small seeded PRNG (mulberry32): reproducible kill points from the printed seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Life {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<void>;
  signedSeen: Promise<void>;
}

function spawnLife(entry: keyof typeof ENTRY, env: NodeJS.ProcessEnv, port: number, opsPort: number): Life {
  const portVar = entry === 'worker' ? 'WORKER_PORT' : 'PORT';
  const child = spawn(process.execPath, [ENTRY[entry]], {
    // OPS_PORT of its own: the default (8082) would clash with other runs on the machine.
    env: { ...process.env, HOST: '127.0.0.1', ...env, [portVar]: String(port), OPS_PORT: String(opsPort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let onSigned: () => void = () => {};
  const signedSeen = new Promise<void>((resolve) => {
    onSigned = resolve;
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('"msg":"document signed"')) onSigned();
    });
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, url: `http://127.0.0.1:${port}`, output: () => output, exited, signedSeen };
}

/** Resolves when /health answers 200; false when the process ended first or `deadline` passed. */
async function healthy(life: Life, deadline: number): Promise<boolean> {
  while (Date.now() < deadline && life.child.exitCode === null && life.child.signalCode === null) {
    try {
      if ((await fetch(`${life.url}/health`)).status === 200) return true;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  return false;
}

export interface CrashLoopOptions {
  entry: keyof typeof ENTRY;
  env: NodeJS.ProcessEnv;
  /** How many lives end in SIGKILL. */
  kills: number;
  random: () => number;
  /** Called once per life: before spawning it (even lives, start-up kills) or once it is up (odd lives). */
  submitWave: (life: number) => Promise<void>;
  /** Open requests right now: a kill with some open counts as a kill under load. */
  openRequests: () => Promise<number>;
}

export interface CrashLoopResult {
  kills: Record<KillMode, number>;
  /** Kills that came while requests were open. */
  killsUnderLoad: number;
  /** The output of every life, in order. */
  outputs: string[];
}

function pickMode(random: () => number): KillMode {
  const r = random();
  return r < 0.2 ? 'startup' : r < 0.5 ? 'after-sign' : 'working';
}

/** One life: spawn, let it run until the kill point of `mode`, SIGKILL, wait for the exit. */
async function liveAndDie(
  options: CrashLoopOptions,
  index: number,
  mode: KillMode,
): Promise<{ output: string; underLoad: boolean }> {
  const { random } = options;
  // A process killed during start-up never gets to take a wave, so its wave goes in first.
  const submitFirst = index % 2 === 0 || mode === 'startup';
  if (submitFirst) await options.submitWave(index);
  const life = spawnLife(options.entry, options.env, await freePort(), await freePort());
  if (mode === 'startup') {
    await sleep(Math.floor(random() * 600));
  } else {
    if (!(await healthy(life, Date.now() + 30_000))) {
      life.child.kill('SIGKILL');
      throw new Error(`life ${index} never answered /health:\n${life.output()}`);
    }
    if (!submitFirst) await options.submitWave(index);
    const pause = sleep(300 + Math.floor(random() * 700));
    // after-sign: kill at the first signature of this life; if none comes within the pause, at its end.
    await (mode === 'after-sign' ? Promise.race([life.signedSeen, pause]) : pause);
  }
  const underLoad = (await options.openRequests()) > 0;
  life.child.kill('SIGKILL');
  await life.exited;
  return { output: life.output(), underLoad };
}

/** Runs `kills` lives that each end in SIGKILL; the caller then starts a last one to finish the work. */
export async function runCrashLoop(options: CrashLoopOptions): Promise<CrashLoopResult> {
  const result: CrashLoopResult = {
    kills: { startup: 0, working: 0, 'after-sign': 0 },
    killsUnderLoad: 0,
    outputs: [],
  };
  for (let index = 0; index < options.kills; index++) {
    const mode = pickMode(options.random);
    const { output, underLoad } = await liveAndDie(options, index, mode);
    result.kills[mode]++;
    if (underLoad) result.killsUnderLoad++;
    result.outputs.push(output);
  }
  return result;
}
