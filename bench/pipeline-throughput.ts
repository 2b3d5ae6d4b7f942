/**
 * Benchmark: the whole signing pipeline under load. 2,000 sign requests of 1 MB PDFs go through RabbitMQ
 * to two worker processes (`node dist/worker/main.js`) that share one SoftHSM2 token (RSA-2048): fetch,
 * sign with a visible stamp, deliver durably, sign log, complete. Requests are submitted in this process
 * through the service API (`submitSignRequest`: certificate and grant checks, request stored, job
 * published with a broker confirm) at an offered rate (open loop), not through 2,000 CLI processes.
 * Figures come from what the service records (request step times in the store, /metrics, /proc):
 * throughput, submit → signed latency p50/p99, and where the CPU went.
 *
 * The store is the embedded SQLite file shared by the three processes (no MongoDB server on the
 * development machines); the accounts have OTP disabled (a code check is one HMAC at submit time).
 *
 * Run: npm run bench:pipeline [-- --count 2000 --rate 100 --workers 2 --prefetch 4 --warmup 20 --cpu-prof --keep]
 *      (--rate 0: submit everything at once and measure the pipeline's own ceiling; --cpu-prof: V8 profiles
 *      of the workers, summarised by part of the work; --keep: leave the temporary directory for inspection)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadPemKey } from '../shared/crypto/software-key.js';
import { signPdfBuffer } from '../shared/pdf/sign-pdf.js';
import type { Submitted } from '../test/pipeline/in-process-submitter.js';
import { requireRabbitMq } from '../test/queue/support/rabbitmq.js';
import type { SoftHsmToken } from '../test/support/softhsm.js';
import { type BenchInput, ensureNoisePdf } from './support/bench-inputs.js';
import { formatCpuProfile, summarizeCpuProfiles } from './support/cpu-profile-summary.js';
import { submitOpenLoop } from './support/open-loop.js';
import { requestLatencies, stepMeans } from './support/pipeline-figures.js';
import { cpuPerDocument, machineLoad, rabbitMqPid, takeSnapshot, waitAllFinal } from './support/pipeline-probes.js';
import { formatPipelineReport, type PipelineFigures } from './support/pipeline-report.js';
import { openPipelineRig, type PipelineRig } from './support/pipeline-rig.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NOISE_SCRIPT = path.join(REPO_ROOT, 'bench', 'support', 'make-noise-pdf.py');
const RESULTS_FILE = path.join(REPO_ROOT, 'bench', 'results', 'pipeline-throughput.json');
const TARGETS = { throughput: 100, p99Ms: 1000 };

const started = Date.now();
const log = (line: string) =>
  console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);

type Options = ReturnType<typeof options>;

function options() {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '2000' },
      rate: { type: 'string', default: String(TARGETS.throughput) },
      workers: { type: 'string', default: '2' },
      prefetch: { type: 'string', default: '4' },
      warmup: { type: 'string', default: '20' },
      'cpu-prof': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      'cache-dir': { type: 'string', default: path.join(os.tmpdir(), 'signservice-bench-cache') },
    },
  });
  const int = (name: keyof typeof values) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} takes a whole number, not ${values[name]}`);
    return n;
  };
  return {
    count: int('count'),
    rate: int('rate'),
    workers: int('workers'),
    prefetch: int('prefetch'),
    warmup: int('warmup'),
    cpuProf: values['cpu-prof'] === true,
    keep: values.keep === true,
    cacheDir: values['cache-dir'] as string,
  };
}

/** ms per document for the signing engine alone: the same input and RSA-2048 key, in software, here. */
async function engineAloneMs(input: Buffer, token: SoftHsmToken): Promise<number> {
  const identity = token.identities[0]!;
  const key = loadPemKey(readFileSync(identity.keyPath), readFileSync(identity.certPath));
  for (let i = 0; i < 3; i++) await signPdfBuffer(input, { key });
  const runs = 20;
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await signPdfBuffer(input, { key });
  return (performance.now() - t0) / runs;
}

/** Warm-up, then the measured run: submits at the offered rate, waits for the end, computes the figures. */
async function measure(o: Options, rig: PipelineRig, input: BenchInput, engineMs: number): Promise<PipelineFigures> {
  const warm = await submitOpenLoop(o.warmup, 0, (i) => rig.submit('warmup', i), 4);
  await waitAllFinal(
    rig.store,
    warm.results.map((s) => (s as Submitted).request.id),
    120_000,
  );
  log(`warm-up: ${o.warmup} requests done; measuring ${o.count} at ${o.rate > 0 ? `${o.rate}/s` : 'once'}`);
  const rabbitPid = await rabbitMqPid();
  const before = await takeSnapshot(rig.workers, rabbitPid);
  const run = await submitOpenLoop(o.count, o.rate, (i) => rig.submit('doc', i));
  if (run.errors.length > 0) throw new Error(`${run.errors.length} submissions failed, e.g. ${run.errors[0]}`);
  const submitted = run.results as Submitted[];
  log(`submitted ${o.count} at ${run.achievedRate.toFixed(1)}/s; waiting for the workers`);
  const requests = await waitAllFinal(
    rig.store,
    submitted.map((s) => s.request.id),
    30 * 60_000,
  );
  const after = await takeSnapshot(rig.workers, rabbitPid);
  const failed = requests.filter((r) => r.state !== 'completed');
  if (failed.length > 0) {
    throw new Error(`${failed.length} requests ended ${failed[0]!.state}: ${failed[0]!.failure?.message}`);
  }
  const firstSubmit = Math.min(...submitted.map((s) => s.submittedAt));
  const wallSeconds = (Math.max(...requests.map((r) => r.updatedAt.getTime())) - firstSubmit) / 1000;
  return {
    count: o.count,
    offeredRate: o.rate,
    achievedSubmitRate: run.achievedRate,
    workers: o.workers,
    prefetch: o.prefetch,
    inputBytes: input.bytes,
    wallSeconds,
    throughput: o.count / wallSeconds,
    latencies: requestLatencies(requests.map((request, i) => ({ request, submittedAt: submitted[i]!.submittedAt }))),
    steps: stepMeans(before.metrics, after.metrics),
    cpuMsPerDoc: cpuPerDocument(before, after, o.count),
    machine: { cores: os.availableParallelism(), ...machineLoad(before, after) },
    engineAloneMs: engineMs,
    targets: TARGETS,
  };
}

async function main(): Promise<void> {
  const o = options();
  await requireRabbitMq();
  mkdirSync(o.cacheDir, { recursive: true });
  const input = await ensureNoisePdf({ cacheDir: o.cacheDir, scriptPath: NOISE_SCRIPT, targetBytes: 1e6, seed: 1 });
  const rig = await openPipelineRig({
    workers: o.workers,
    prefetch: o.prefetch,
    inputPath: input.path,
    // --cpu-prof: each worker writes a V8 CPU profile when it exits (a few % slower while sampling).
    nodeArgs: (dir) => (o.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${path.join(dir, 'profiles')}`] : []),
  });
  try {
    log(`${o.workers} workers ready (logs in ${rig.dir}); queue prefix ${rig.prefix}`);
    const engineMs = await engineAloneMs(readFileSync(input.path), rig.token);
    log(`input ${input.path} (${input.bytes} bytes); engine alone ${engineMs.toFixed(1)} ms per document`);
    const figures = await measure(o, rig, input, engineMs);
    console.log(`\n${formatPipelineReport(figures)}`);
    mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
    const result = { benchmark: 'pipeline-throughput', date: new Date(), options: o, figures };
    writeFileSync(RESULTS_FILE, `${JSON.stringify(result, null, 2)}\n`);
    log(`results in ${RESULTS_FILE}`);
    if (o.cpuProf) {
      await rig.stopWorkers();
      const totals = summarizeCpuProfiles(path.join(rig.dir, 'profiles'));
      console.log(formatCpuProfile(totals, o.count + o.warmup).join('\n'));
    }
  } finally {
    await rig.close({ keep: o.keep });
    if (o.keep) log(`kept ${rig.dir} (worker logs, profiles, outputs)`);
  }
}

main().catch((error: unknown) => {
  console.error(`bench:pipeline failed: ${(error as Error)?.stack ?? error}`);
  process.exit(1);
});
