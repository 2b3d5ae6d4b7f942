/**
 * Benchmark: the whole signing pipeline under load. 2,000 sign requests of 1 MB PDFs go through RabbitMQ
 * to two worker processes (`node dist/worker/main.js`) that share one SoftHSM2 token (RSA-2048): fetch,
 * sign with a visible stamp, deliver durably, sign log, complete. Requests are submitted in this process
 * through the service API (`submitSignRequest`: certificate and grant checks, request stored, job
 * published with a broker confirm), not through 2,000 CLI processes.
 * Figures come from what the service records (request step times in the store, /metrics, /proc):
 * throughput, submit → signed latency p50/p99, and where the CPU went.
 *
 * One run measures, in this order: the old code (the baseline commit, built once into the bench cache; its
 * own benchmark in a child process, same shape) and ours, alternating `--rounds` times, each offered all
 * requests at once (the throughput: a backlog the pipeline works off as fast as it can); then ours at 50/s
 * offered in an open loop (the latency: below capacity, arrivals do not wait for the pipeline).
 *
 * The store is the embedded SQLite file shared by the three processes (no MongoDB server on the
 * development machines); the accounts have OTP disabled (a code check is one HMAC at submit time).
 *
 * Run: npm run bench:pipeline [-- --count 2000 --rate 0 --latency-count 1000 --latency-rate 50 --rounds 3
 *      --baseline REF|none --workers 2 --prefetch 4 --warmup 100 --cpu-prof --keep]
 *      (--rate R: offer the throughput run at R/s instead of all at once; --cpu-prof: V8 profiles of the
 *      workers, summarised by part of the work; --keep: leave the temporary directory for inspection)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
import { type BaselineFigures, DEFAULT_BASELINE, prepareBaseline, runBaseline } from './support/pipeline-baseline.js';
import { requestLatencies, stepMeans } from './support/pipeline-figures.js';
import { cpuPerDocument, machineLoad, rabbitMqPid, takeSnapshot, waitAllFinal } from './support/pipeline-probes.js';
import {
  formatPipelineReport,
  type LatencyRun,
  type PipelineFigures,
  type ThroughputRun,
} from './support/pipeline-report.js';
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
      rate: { type: 'string', default: '0' },
      'latency-count': { type: 'string', default: '1000' },
      'latency-rate': { type: 'string', default: '50' },
      rounds: { type: 'string', default: '3' },
      baseline: { type: 'string', default: DEFAULT_BASELINE },
      workers: { type: 'string', default: '2' },
      prefetch: { type: 'string', default: '4' },
      warmup: { type: 'string', default: '100' },
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
    latencyCount: int('latency-count'),
    latencyRate: int('latency-rate'),
    rounds: Math.max(1, int('rounds')),
    baseline: values.baseline === 'none' ? undefined : (values.baseline as string),
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

/** Warm-up requests, not counted. */
async function warmUp(o: Options, rig: PipelineRig): Promise<void> {
  const warm = await submitOpenLoop(o.warmup, 0, (i) => rig.submit('warmup', i), 4);
  await waitAllFinal(
    rig.store,
    warm.results.map((s) => (s as Submitted).request.id),
    120_000,
  );
  log(`warm-up: ${o.warmup} requests done`);
}

/**
 * Writes out what earlier runs left in the page cache, so a run does not pay for its predecessor's disk
 * writes (gigabytes of signed outputs): every run, ours and the baseline's, starts from the same state.
 */
function settleDisk(): void {
  spawnSync('sync');
}

/**
 * Submits `count` at `rate` (0: all at once), waits until every one is final, removes the outputs (unless
 * --keep); the figures.
 */
async function measuredRun(o: Options, rig: PipelineRig, tag: string, count: number, rate: number) {
  settleDisk();
  const rabbitPid = await rabbitMqPid();
  const before = await takeSnapshot(rig.workers, rabbitPid);
  const run = await submitOpenLoop(count, rate, (i) => rig.submit(tag, i));
  if (run.errors.length > 0) throw new Error(`${run.errors.length} submissions failed, e.g. ${run.errors[0]}`);
  const submitted = run.results as Submitted[];
  log(`submitted ${count} at ${run.achievedRate.toFixed(1)}/s; waiting for the workers`);
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
  if (!o.keep) {
    for (const r of requests) if (r.document.kind === 'file') rmSync(r.document.outputPath, { force: true });
  }
  const firstSubmit = Math.min(...submitted.map((s) => s.submittedAt));
  const wallSeconds = (Math.max(...requests.map((r) => r.updatedAt.getTime())) - firstSubmit) / 1000;
  return {
    count,
    offeredRate: rate,
    achievedSubmitRate: run.achievedRate,
    wallSeconds,
    throughput: count / wallSeconds,
    latencies: requestLatencies(requests.map((request, i) => ({ request, submittedAt: submitted[i]!.submittedAt }))),
    steps: stepMeans(before.metrics, after.metrics),
    cpuMsPerDoc: cpuPerDocument(before, after, count),
    machine: machineLoad(before, after),
  };
}

/** Baseline and ours alternating (throughput), then ours at the latency rate. */
async function measure(o: Options, rig: PipelineRig, input: BenchInput, engineMs: number): Promise<PipelineFigures> {
  const baseline = o.baseline ? prepareBaseline(REPO_ROOT, o.baseline, o.cacheDir) : undefined;
  const ours: ThroughputRun[] = [];
  const old: BaselineFigures[] = [];
  for (let round = 1; round <= o.rounds; round++) {
    if (baseline) {
      log(
        `round ${round}: the baseline ${baseline.commit.slice(0, 7)}, ${o.count} ${o.rate > 0 ? `at ${o.rate}/s` : 'at once'}`,
      );
      settleDisk();
      old.push(await runBaseline(baseline, o, log));
    }
    // As the baseline's bench does in its own process: fresh workers, then the same warm-up right before the
    // measurement. Workers that sat idle while the baseline ran were measurably slower for a while (here 93
    // against 128 documents/s without the warm-up, 104–110 with it), which the baseline's never are.
    if (round > 1 || baseline) await rig.restartWorkers();
    await warmUp(o, rig);
    log(`round ${round}: ours, ${o.count} ${o.rate > 0 ? `at ${o.rate}/s` : 'at once'}`);
    ours.push(await measuredRun(o, rig, `doc${round}`, o.count, o.rate));
  }
  let latency: LatencyRun | undefined;
  if (o.latencyCount > 0) {
    log(`latency: ours, ${o.latencyCount} at ${o.latencyRate}/s offered`);
    latency = await measuredRun(o, rig, 'lat', o.latencyCount, o.latencyRate);
  }
  return {
    inputBytes: input.bytes,
    workers: o.workers,
    prefetch: o.prefetch,
    cores: os.availableParallelism(),
    throughputRuns: ours,
    ...(latency ? { latencyRun: latency } : {}),
    baselineRuns: old,
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
      const documents = (o.count + o.warmup) * o.rounds + o.latencyCount;
      console.log(formatCpuProfile(totals, documents).join('\n'));
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
