/**
 * What the pipeline benchmark reads while it runs: whether every request is final (polled cheaply, so the
 * benchmark does not steal the CPU it measures), and snapshots of CPU time per process and of the workers'
 * /metrics, taken before and after the measured window.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { FINAL_STATES, type SignRequest } from '../../shared/domain/sign-request.js';
import type { Store } from '../../shared/store/store-ports.js';
import { rabbitmqctl } from '../../test/queue/support/rabbitmq.js';
import { machineCpu, processCpuSeconds } from './cpu-usage.js';
import type { FleetWorker } from './worker-fleet.js';

/**
 * Polls until every request is final; returns them in the order of `ids`. Each scan stops at the first 50
 * still open, and scans are 0.5 s apart: completion times come from the store, not from this loop.
 */
export async function waitAllFinal(store: Store, ids: readonly string[], timeoutMs: number): Promise<SignRequest[]> {
  const final = new Map<string, SignRequest>();
  const deadline = Date.now() + timeoutMs;
  while (final.size < ids.length) {
    if (Date.now() > deadline) throw new Error(`${ids.length - final.size} requests not final after ${timeoutMs} ms`);
    let open = 0;
    for (const id of ids) {
      if (final.has(id)) continue;
      const r = await store.signRequests.get(id);
      if (r && FINAL_STATES.has(r.state)) final.set(id, r);
      else if (++open >= 50) break;
    }
    if (final.size < ids.length) await sleep(500);
  }
  return ids.map((id) => final.get(id) as SignRequest);
}

/** CPU seconds so far by process, the machine's CPU counters and each worker's /metrics text. */
export interface Snapshot {
  cpu: { process: string; seconds: number }[];
  machine: ReturnType<typeof machineCpu>;
  metrics: string[];
}

/** The OS process id of the local RabbitMQ node (beam.smp). */
export async function rabbitMqPid(): Promise<number> {
  return Number((await rabbitmqctl('eval', 'os:getpid().')).replace(/\D/g, ''));
}

export async function takeSnapshot(workers: readonly FleetWorker[], rabbitPid: number): Promise<Snapshot> {
  const self = process.cpuUsage();
  const cpu = [
    { process: 'submitting process (this one)', seconds: (self.user + self.system) / 1e6 },
    ...workers.map((w, i) => ({ process: `worker ${i + 1}`, seconds: processCpuSeconds(w.pid) ?? 0 })),
    { process: 'RabbitMQ (beam.smp)', seconds: processCpuSeconds(rabbitPid) ?? 0 },
  ];
  return { cpu, machine: machineCpu(), metrics: await Promise.all(workers.map((w) => w.metrics())) };
}

/** CPU ms per document by process over the window, plus the rest of the machine's busy time. */
export function cpuPerDocument(before: Snapshot, after: Snapshot, documents: number) {
  const rows = after.cpu.map((c, i) => ({
    process: c.process,
    ms: ((c.seconds - (before.cpu[i]?.seconds ?? 0)) * 1000) / documents,
  }));
  const accounted = rows.reduce((a, r) => a + r.ms, 0);
  const machineMs = ((after.machine.busy - before.machine.busy) * 1000) / documents;
  rows.push({ process: 'the rest of the machine (kernel, other processes)', ms: Math.max(0, machineMs - accounted) });
  return rows;
}

/** Share of the machine's CPU time that was busy, and waiting for the disk, over the window (%). */
export function machineLoad(before: Snapshot, after: Snapshot): { busyPercent: number; iowaitPercent: number } {
  const window = after.machine.total - before.machine.total;
  return {
    busyPercent: (100 * (after.machine.busy - before.machine.busy)) / window,
    iowaitPercent: (100 * (after.machine.iowait - before.machine.iowait)) / window,
  };
}
