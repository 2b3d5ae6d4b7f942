/** The printed report of the pipeline benchmark: figures, targets (MET / NOT MET) and where the time went. */
import type { LatencySummary, RequestLatencies } from './pipeline-figures.js';

/** Everything the report shows. */
export interface PipelineFigures {
  count: number;
  offeredRate: number;
  achievedSubmitRate: number;
  workers: number;
  prefetch: number;
  inputBytes: number;
  /** First submit call to the last completion. */
  wallSeconds: number;
  throughput: number;
  latencies: RequestLatencies;
  steps: { step: string; meanMs: number; count: number }[];
  /** CPU seconds per document, by process. */
  cpuMsPerDoc: { process: string; ms: number }[];
  machine: { cores: number; busyPercent: number; iowaitPercent: number };
  engineAloneMs: number;
  targets: { throughput: number; p99Ms: number };
}

const ms = (v: number) => (Number.isFinite(v) ? `${Math.round(v)} ms` : 'n/a');
const row = (name: string, s: LatencySummary) =>
  `  ${name.padEnd(34)} p50 ${ms(s.p50).padStart(9)}   p90 ${ms(s.p90).padStart(9)}   p99 ${ms(s.p99).padStart(9)}   max ${ms(s.max).padStart(9)}`;
const verdict = (ok: boolean) => (ok ? 'MET' : 'NOT MET');

/** The report as printed lines. */
export function formatPipelineReport(f: PipelineFigures): string {
  const { latencies: l } = f;
  const p99 = l.completed.p99;
  const cpuTotal = f.cpuMsPerDoc.reduce((a, c) => a + c.ms, 0);
  const lines = [
    `Pipeline: ${f.count} requests of ${(f.inputBytes / 1e6).toFixed(2)} MB PDFs, RabbitMQ, ${f.workers} workers ` +
      `(prefetch ${f.prefetch}), one SoftHSM2 token, embedded SQLite store`,
    `  offered ${f.offeredRate > 0 ? `${f.offeredRate}/s (open loop)` : 'all at once'}; submitted at ` +
      `${f.achievedSubmitRate.toFixed(1)}/s through submitSignRequest in this process`,
    '',
    `  throughput                         ${f.throughput.toFixed(1)} documents/s  (${f.count} in ${f.wallSeconds.toFixed(1)} s, first submit to last completion)`,
    'Latency from the submit call to:',
    row('taken by a worker, document read', l.fetched),
    row('signature started', l.signing),
    row('signed document delivered', l.delivered),
    row('completed (signed, delivered, logged)', l.completed),
    '',
    'Targets',
    `  throughput >= ${f.targets.throughput} documents/s: ${verdict(f.throughput >= f.targets.throughput)} (${f.throughput.toFixed(1)})`,
    `  p99 submit -> signed (completed) <= ${f.targets.p99Ms} ms: ${verdict(p99 <= f.targets.p99Ms)} (${ms(p99)})`,
    '',
    'Where the time goes',
    `  machine: ${f.machine.cores} cores ${f.machine.busyPercent.toFixed(0)}% busy, ${f.machine.iowaitPercent.toFixed(0)}% iowait during the run`,
    `  CPU per document: ${cpuTotal.toFixed(1)} ms in all (ceiling at full use of ${f.machine.cores} cores: ` +
      `${((f.machine.cores * 1000) / Math.max(cpuTotal, 1e-9)).toFixed(0)} documents/s)`,
    ...f.cpuMsPerDoc.map((c) => `    ${c.process.padEnd(32)} ${c.ms.toFixed(1).padStart(7)} ms`),
    '  worker step times (wall, mean per job, both workers; includes waiting for a core):',
    ...f.steps.map((s) => `    ${s.step.padEnd(32)} ${s.meanMs.toFixed(1).padStart(7)} ms  (${s.count} runs)`),
    `  the signing engine alone (same PDF, same RSA-2048 key in software, one core, no I/O): ` +
      `${f.engineAloneMs.toFixed(1)} ms per document`,
  ];
  return lines.join('\n');
}
