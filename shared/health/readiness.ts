/**
 * Readiness: can this process do its work right now? The store answers a read, the queue answers a depth
 * query, the data directory's file system has room (MIN_FREE_DISK_MB: a full disk fails every write, so
 * a balancer should send the work elsewhere before it is full), and every token the process serves is
 * present and logged in. Each probe is bounded in time; the report names what is wrong, so `/ready` (503
 * when not ready) tells an operator where to look.
 */
import fs from 'node:fs/promises';
import type { JobQueue } from '../queue/queue-port.js';
import type { Store } from '../store/store-ports.js';
import type { TokenReport } from './token-report.js';
import { withTimeout } from './with-timeout.js';

export interface ReadinessDeps {
  store: Store;
  queue: JobQueue;
  /** The route the queue probe asks about (one the process uses anyway). */
  probeRoute: string;
  /** The tokens this process serves (none for an activity without worker). */
  tokens?: () => readonly TokenReport[];
  /** True once a shutdown began: not ready, so a balancer stops sending work. */
  shuttingDown?: () => boolean;
  /** The data directory and the free bytes it needs at least (MIN_FREE_DISK_MB). */
  disk?: { dataDir: string; minFreeBytes: number };
  /** @default 2000 */
  timeoutMs?: number;
}

export interface CheckResult {
  ok: boolean;
  /** What failed, for the operator. */
  error?: string;
  ms: number;
}

export interface DiskCheck extends CheckResult {
  path: string;
  freeBytes?: number;
  minFreeBytes: number;
}

export interface ReadinessReport {
  ready: boolean;
  checks: {
    store: CheckResult;
    queue: CheckResult & { kind: JobQueue['kind'] };
    disk?: DiskCheck;
    tokens: (Pick<TokenReport, 'label' | 'present' | 'usable' | 'pinLocked'> & { problem?: string })[];
  };
  shuttingDown: boolean;
}

async function probe(what: string, timeoutMs: number, work: () => Promise<unknown>): Promise<CheckResult> {
  const began = performance.now();
  try {
    await withTimeout(what, timeoutMs, work);
    return { ok: true, ms: Math.round(performance.now() - began) };
  } catch (error) {
    return { ok: false, error: (error as Error).message, ms: Math.round(performance.now() - began) };
  }
}

/** Free bytes of the data directory's file system, for an unprivileged writer. */
async function checkDisk(disk: { dataDir: string; minFreeBytes: number }): Promise<DiskCheck> {
  const began = performance.now();
  const base = { path: disk.dataDir, minFreeBytes: disk.minFreeBytes };
  try {
    const stats = await fs.statfs(disk.dataDir);
    const freeBytes = stats.bavail * stats.bsize;
    const ok = freeBytes >= disk.minFreeBytes;
    const mib = (n: number) => `${Math.floor(n / 1024 / 1024)} MiB`;
    return {
      ok,
      ...(ok
        ? {}
        : {
            error: `only ${mib(freeBytes)} free in ${disk.dataDir}, below MIN_FREE_DISK_MB (${mib(disk.minFreeBytes)})`,
          }),
      ms: Math.round(performance.now() - began),
      ...base,
      freeBytes,
    };
  } catch (error) {
    return { ok: false, error: (error as Error).message, ms: Math.round(performance.now() - began), ...base };
  }
}

/** Runs the probes (store, queue and disk at once) and sums them up. Never throws. */
export async function checkReadiness(deps: ReadinessDeps): Promise<ReadinessReport> {
  const timeoutMs = deps.timeoutMs ?? 2000;
  const [store, queue, disk] = await Promise.all([
    probe('the store', timeoutMs, () => deps.store.signRequests.get('readiness-probe')),
    probe('the job queue', timeoutMs, () => deps.queue.depth(deps.probeRoute)),
    deps.disk ? checkDisk(deps.disk) : undefined,
  ]);
  const tokens = (deps.tokens?.() ?? []).map((t) => ({
    label: t.label,
    present: t.present,
    usable: t.usable,
    pinLocked: t.pinLocked,
    ...(t.problem ? { problem: t.problem } : {}),
  }));
  const shuttingDown = deps.shuttingDown?.() ?? false;
  const ready = store.ok && queue.ok && (disk?.ok ?? true) && tokens.every((t) => t.usable) && !shuttingDown;
  const checks = { store, queue: { ...queue, kind: deps.queue.kind }, ...(disk ? { disk } : {}), tokens };
  return { ready, checks, shuttingDown };
}
