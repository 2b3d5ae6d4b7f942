/** The printed report of the pipeline benchmark: figures, targets (MET / NOT MET) and where the time went. */
import type { BaselineFigures } from './pipeline-baseline.js';
import type { LatencySummary, RequestLatencies } from './pipeline-figures.js';

/** One measured run of ours: `count` requests offered at `offeredRate` (0: all at once). */
export interface LatencyRun {
  count: number;
  offeredRate: number;
  achievedSubmitRate: number;
  /** First submit call to the last completion. */
  wallSeconds: number;
  throughput: number;
  latencies: RequestLatencies;
  steps: { step: string; meanMs: number; count: number }[];
  /** CPU ms per document, by process. */
  cpuMsPerDoc: { process: string; ms: number }[];
  machine: { busyPercent: number; iowaitPercent: number };
}

export type ThroughputRun = LatencyRun;

/** Everything the report shows. */
export interface PipelineFigures {
  inputBytes: number;
  workers: number;
  prefetch: number;
  cores: number;
  throughputRuns: ThroughputRun[];
  latencyRun?: LatencyRun;
  /** The old code, measured in the same run, one per round. */
  baselineRuns: BaselineFigures[];
  engineAloneMs: number;
  targets: { throughput: number; p99Ms: number };
}

const ms = (v: number) => (Number.isFinite(v) ? `${Math.round(v)} ms` : 'n/a');
const row = (name: string, s: LatencySummary) =>
  `  ${name.padEnd(34)} p50 ${ms(s.p50).padStart(9)}   p90 ${ms(s.p90).padStart(9)}   p99 ${ms(s.p99).padStart(9)}   max ${ms(s.max).padStart(9)}`;
const verdict = (ok: boolean) => (ok ? 'MET' : 'NOT MET');
const offered = (run: LatencyRun) => (run.offeredRate > 0 ? `at ${run.offeredRate}/s offered` : 'all at once');
const cpuTotal = (run: LatencyRun) => run.cpuMsPerDoc.reduce((a, c) => a + c.ms, 0);

/** The middle value (the lower of the two middle ones for an even count). */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
}

function latencyRows(run: LatencyRun): string[] {
  const l = run.latencies;
  return [
    row('taken by a worker, document read', l.fetched),
    row('signature started', l.signing),
    row('signed document delivered', l.delivered),
    row('completed (signed, delivered, logged)', l.completed),
  ];
}

function whereTheTimeGoes(run: LatencyRun, cores: number, engineAloneMs: number): string[] {
  const total = cpuTotal(run);
  return [
    `Where the time goes (the last throughput run)`,
    `  machine: ${cores} cores ${run.machine.busyPercent.toFixed(0)}% busy, ${run.machine.iowaitPercent.toFixed(0)}% iowait during the run`,
    `  CPU per document: ${total.toFixed(1)} ms in all (ceiling at full use of ${cores} cores: ` +
      `${((cores * 1000) / Math.max(total, 1e-9)).toFixed(0)} documents/s)`,
    ...run.cpuMsPerDoc.map((c) => `    ${c.process.padEnd(32)} ${c.ms.toFixed(1).padStart(7)} ms`),
    '  worker step times (wall, mean per job, both workers; includes waiting for a core):',
    ...run.steps.map((s) => `    ${s.step.padEnd(32)} ${s.meanMs.toFixed(1).padStart(7)} ms  (${s.count} runs)`),
    `  the signing engine alone (same PDF, same RSA-2048 key in software, one core, no I/O): ` +
      `${engineAloneMs.toFixed(1)} ms per document`,
  ];
}

/** The report as printed lines. */
export function formatPipelineReport(f: PipelineFigures): string {
  const runs = f.throughputRuns;
  const last = runs[runs.length - 1];
  if (!last) throw new Error('no throughput run to report');
  const ours = median(runs.map((r) => r.throughput));
  const lines = [
    `Pipeline: ${(f.inputBytes / 1e6).toFixed(2)} MB PDFs, RabbitMQ, ${f.workers} workers (prefetch ${f.prefetch}), ` +
      'one SoftHSM2 token, embedded SQLite store; submitted through submitSignRequest in this process',
    '',
    `Throughput (${last.count} requests ${offered(last)}; first submit to last completion)`,
  ];
  for (const [i, run] of runs.entries()) {
    const old = f.baselineRuns[i];
    if (old) {
      lines.push(
        `  round ${i + 1}, baseline ${old.commit.slice(0, 7)}  ${old.throughput.toFixed(1).padStart(6)} documents/s  ` +
          `${old.cpuMsPerDoc.toFixed(1).padStart(5)} ms CPU per document`,
      );
    }
    lines.push(
      `  round ${i + 1}, ours              ${run.throughput.toFixed(1).padStart(6)} documents/s  ` +
        `${cpuTotal(run).toFixed(1).padStart(5)} ms CPU per document  (${run.count} in ${run.wallSeconds.toFixed(1)} s)`,
    );
  }
  if (f.baselineRuns.length > 0) {
    const old = median(f.baselineRuns.map((r) => r.throughput));
    lines.push(
      `  medians: ours ${ours.toFixed(1)}, baseline ${old.toFixed(1)} documents/s: x${(ours / old).toFixed(2)}`,
    );
  }
  if (last.offeredRate > 0) lines.push('Latency in the throughput run, from the submit call to:', ...latencyRows(last));
  const latency = f.latencyRun;
  if (latency) {
    lines.push(
      '',
      `Latency (${latency.count} requests ${offered(latency)}, submitted at ${latency.achievedSubmitRate.toFixed(1)}/s, ` +
        `completed at ${latency.throughput.toFixed(1)}/s), from the submit call to:`,
      ...latencyRows(latency),
    );
  }
  lines.push(
    '',
    'Targets',
    `  throughput >= ${f.targets.throughput} documents/s (median of ${runs.length}): ${verdict(ours >= f.targets.throughput)} (${ours.toFixed(1)})`,
  );
  if (latency) {
    const p99 = latency.latencies.completed.p99;
    lines.push(
      `  p99 submit -> signed (completed) <= ${f.targets.p99Ms} ms at ${latency.offeredRate}/s: ` +
        `${verdict(p99 <= f.targets.p99Ms)} (${ms(p99)})`,
    );
  }
  lines.push('', ...whereTheTimeGoes(last, f.cores, f.engineAloneMs));
  return lines.join('\n');
}
