/**
 * The signing benchmark against named peers: our CLI, poppler's `pdfsig -add-signature` and the
 * "pdf-lib + @signpdf" way each add one signature to the same PDFs with the same RSA-2048 key, as
 * whole processes (wall time and peak RSS from GNU time, median of N runs), every output checked with
 * pdfsig. Prints a table with ratios against pdfsig and the product targets, and writes the results to
 * bench/results/sign-peers.json. See bench/README.md.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError, ErrorCode, errorOutcome } from '../shared/errors.js';
import { type BenchInput, ensureNoisePdf, ensureScannedPdf, SYSTEM_PYTHON } from './support/bench-inputs.js';
import { type BenchKey, ensureBenchKey } from './support/bench-key.js';
import { type BenchOptions, parseBenchOptions } from './support/bench-options.js';
import { type BenchRow, withRatios } from './support/bench-rows.js';
import { benchSize, type RunContext, type SizePlan } from './support/bench-size.js';
import { evaluateTargets, FOREIGN_SIZE, LARGE_SIZE } from './support/bench-targets.js';
import { formatTable, formatTargets } from './support/format-table.js';
import { GNU_TIME } from './support/measure-process.js';
import { profileOurCli } from './support/profile-ours.js';
import { runCommand } from './support/run-command.js';
import { signTools, toolPaths } from './support/sign-tools.js';

/** The repository root: this file runs as dist/bench/sign-peers.js. */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS_FILE = path.join(REPO_ROOT, 'bench', 'results', 'sign-peers.json');
const NOISE_SCRIPT = path.join(REPO_ROOT, 'bench', 'support', 'make-noise-pdf.py');
const SCANNED_SCRIPT = path.join(REPO_ROOT, 'bench', 'support', 'make-scanned-pdf.py');

/** The input sizes: label, target size in bytes, generator seed. */
const SIZES = [
  { label: '1 MB', bytes: 1_000_000, seed: 1 },
  { label: '30 MB', bytes: 30_000_000, seed: 30 },
] as const;
const LARGE = { label: LARGE_SIZE, bytes: 300_000_000, seed: 300 } as const;
/** A scanned-document PDF from another producer (img2pdf, linearized), the size of the field report. */
const FOREIGN = { label: FOREIGN_SIZE, bytes: 38_000_000, seed: 38 } as const;

const started = Date.now();
function log(line: string): void {
  console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
}

/** Fails early, with the package to install, when a tool the benchmark needs is missing. */
async function assertToolsPresent(): Promise<void> {
  const needed: [string, string][] = [
    [GNU_TIME, 'time'],
    ['/usr/bin/pdfsig', 'poppler-utils'],
    ['/usr/bin/certutil', 'libnss3-tools'],
    ['/usr/bin/pk12util', 'libnss3-tools'],
    ['/usr/bin/openssl', 'openssl'],
    [SYSTEM_PYTHON, 'python3 with python3-reportlab and python3-pil'],
    ['/usr/bin/img2pdf', 'img2pdf'],
  ];
  const missing = needed.filter(([file]) => !existsSync(file)).map(([file, pkg]) => `${file} (Debian: ${pkg})`);
  if (missing.length > 0) {
    throw new AppError(ErrorCode.FILE_IO, `The benchmark needs these tools: ${missing.join(', ')}`);
  }
  if (!existsSync(toolPaths(REPO_ROOT).pdflibPeer)) {
    throw new AppError(ErrorCode.FILE_IO, 'dist/bench/peers/pdflib-signpdf.js is missing: run `npx tsc -p .` first');
  }
}

async function input(options: BenchOptions, size: { label: string; bytes: number; seed: number }): Promise<BenchInput> {
  log(`input ${size.label}: preparing in ${options.cacheDir} (generated once, then reused)`);
  return ensureNoisePdf({
    cacheDir: options.cacheDir,
    scriptPath: NOISE_SCRIPT,
    targetBytes: size.bytes,
    seed: size.seed,
  });
}

/** Which tools run on which input; the 300 MB input is for one run of our CLI's default mode only. */
async function plan(options: BenchOptions, oursBuilt: boolean): Promise<SizePlan[]> {
  const tools = signTools(REPO_ROOT);
  const ours = tools.filter((t) => t.kind === 'ours');
  const runnable = oursBuilt ? tools : tools.filter((t) => t.kind !== 'ours');
  const notBuilt = oursBuilt ? [] : ours;
  const plans: SizePlan[] = [];
  for (const size of SIZES) {
    plans.push({ label: size.label, input: await input(options, size), runs: options.runs, tools: runnable, notBuilt });
  }
  log(`input ${FOREIGN.label}: preparing with img2pdf in ${options.cacheDir} (generated once, then reused)`);
  const foreign = await ensureScannedPdf({
    cacheDir: options.cacheDir,
    scriptPath: SCANNED_SCRIPT,
    targetBytes: FOREIGN.bytes,
    seed: FOREIGN.seed,
  });
  plans.push({ label: FOREIGN.label, input: foreign, runs: options.runs, tools: runnable, notBuilt });
  if (!options.skip300) {
    const visible = ours.filter((t) => t.id === 'ours-visible');
    // Without our CLI nothing would run on it, so do not spend half a minute generating 300 MB.
    const largeInput = oursBuilt ? await input(options, LARGE) : { path: '', bytes: LARGE.bytes };
    plans.push({
      label: LARGE.label,
      input: largeInput,
      runs: 1,
      tools: oursBuilt ? visible : [],
      notBuilt: oursBuilt ? [] : visible,
    });
  }
  return plans;
}

async function machine(): Promise<Record<string, unknown>> {
  const pdfsig = await runCommand('pdfsig', ['-v'], { timeoutMs: 10_000 });
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryMiB: Math.round(os.totalmem() / 1024 / 1024),
    node: process.version,
    pdfsig: (pdfsig.stderr || pdfsig.stdout).split('\n')[0]?.trim() ?? 'unknown',
  };
}

async function runAll(key: BenchKey, plans: SizePlan[]): Promise<BenchRow[]> {
  const scratchDir = await mkdtemp(path.join(os.tmpdir(), 'signservice-bench-out-'));
  const ctx: RunContext = { key, scratchDir, log };
  try {
    const rows: BenchRow[] = [];
    for (const sizePlan of plans) rows.push(...(await benchSize(sizePlan, ctx)));
    return rows;
  } finally {
    await rm(scratchDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const defaultCache = path.join(os.tmpdir(), 'signservice-bench-cache');
  const options = parseBenchOptions(process.argv.slice(2), { cacheDir: defaultCache });
  await assertToolsPresent();
  const oursBuilt = existsSync(toolPaths(REPO_ROOT).cli);
  log(oursBuilt ? 'ours: dist/cli/signservice.mjs found' : 'ours: not built (dist/cli/signservice.mjs missing)');
  if (options.runs < 5) log(`note: --runs ${options.runs} is below 5; medians are indicative only`);
  const key = await ensureBenchKey(options.cacheDir);
  log(`key: RSA-2048 self-signed, ${key.p12Path} and NSS ${key.nssDb}`);
  const plans = await plan(options, oursBuilt);
  const rows = withRatios(await runAll(key, plans));
  const targets = evaluateTargets(rows, { skipLarge: options.skip300 });
  console.log(`\n${formatTable(rows)}\n\nTargets (our CLI)\n${formatTargets(targets)}`);
  if (!oursBuilt) console.log('\nours: not built - run `npm run build` (dist/cli/signservice.mjs) and rerun.');
  const foreign = plans.find((p) => p.label === FOREIGN_SIZE);
  if (options.cpuProf && oursBuilt && foreign) {
    log(`profiling our CLI on ${FOREIGN_SIZE} (${options.runs} runs)`);
    const lines = await profileOurCli({
      repoRoot: REPO_ROOT,
      input: foreign.input,
      label: FOREIGN_SIZE,
      key,
      runs: options.runs,
    });
    console.log(`\n${lines.join('\n')}`);
  }
  const inputs = plans.map((p) => ({ size: p.label, path: p.input.path || null, bytes: p.input.bytes }));
  const result = {
    benchmark: 'sign-peers',
    date: new Date().toISOString(),
    options,
    machine: await machine(),
    inputs,
    rows,
    targets,
  };
  await mkdir(path.dirname(RESULTS_FILE), { recursive: true });
  await writeFile(RESULTS_FILE, `${JSON.stringify(result, null, 2)}\n`);
  log(`results written to ${path.relative(REPO_ROOT, RESULTS_FILE)}`);
}

main().catch((error: unknown) => {
  const appError = AppError.from(error);
  console.error(`sign-peers: ${appError.message}`);
  process.exitCode = errorOutcome(appError).exit;
});
