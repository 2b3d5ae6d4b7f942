/**
 * Times every tool on one input: `runs` rounds, each round running the tools one after another, so
 * slow drift on the machine (page cache, other load) spreads over all tools instead of one. The first
 * output of each tool is verified with pdfsig; a tool that fails is not run again on this input.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { BenchInput } from './bench-inputs.js';
import type { BenchKey } from './bench-key.js';
import { type BenchRow, MIB, type Sample, withMedians } from './bench-rows.js';
import { runTimed, type TimedRun } from './measure-process.js';
import { checkWithPdfsig } from './pdfsig-verdict.js';
import type { SignTool } from './sign-tools.js';

/** One input size and how to run the tools on it. */
export interface SizePlan {
  label: string;
  input: BenchInput;
  runs: number;
  tools: SignTool[];
  /** Tools listed in the table as "ours: not built" instead of being run. */
  notBuilt: SignTool[];
}

/** Context shared by every size. */
export interface RunContext {
  key: BenchKey;
  scratchDir: string;
  log: (line: string) => void;
}

/** A process gets a minute plus a second per MB of input before it is killed. */
function timeoutMs(inputBytes: number): number {
  return 60_000 + Math.ceil(inputBytes / 1e6) * 1000;
}

function emptyRow(plan: SizePlan, tool: SignTool, status: BenchRow['status'], detail: string): BenchRow {
  return {
    size: plan.label,
    inputBytes: plan.input.bytes,
    toolId: tool.id,
    tool: tool.label,
    kind: tool.kind,
    status,
    detail,
    samples: [],
    wallMedianS: null,
    rssMedianMiB: null,
    wallRatio: null,
    rssRatio: null,
  };
}

function failure(run: TimedRun): string | null {
  if (run.timedOut) return 'timed out';
  if (run.exitCode !== 0 || run.wallS === null || run.rssKiB === null) {
    const tail = run.stderr.trim().split('\n').slice(-2).join(' | ');
    return `exit ${run.exitCode ?? 'by signal'}: ${tail}`.slice(0, 300);
  }
  return null;
}

async function runOnce(plan: SizePlan, tool: SignTool, row: BenchRow, round: number, ctx: RunContext): Promise<void> {
  const output = path.join(ctx.scratchDir, `${tool.id}-${plan.input.bytes}.pdf`);
  await rm(output, { force: true });
  const { command, args } = tool.argv({ input: plan.input.path, output, key: ctx.key });
  const run = await runTimed(command, args, { timeoutMs: timeoutMs(plan.input.bytes), scratchDir: ctx.scratchDir });
  const why = failure(run);
  const where = `${plan.label} ${tool.label} run ${round}/${plan.runs}`;
  if (why !== null) {
    row.status = 'FAILED';
    row.detail = why;
    ctx.log(`${where}: FAILED (${why})`);
    return;
  }
  const sample: Sample = { wallS: run.wallS!, rssKiB: run.rssKiB!, harnessWallMs: run.harnessWallMs };
  row.samples.push(sample);
  if (round === 1) {
    const verdict = await checkWithPdfsig(ctx.key.nssDb, output);
    row.detail = verdict.detail;
    if (!verdict.valid) row.status = 'INVALID';
  }
  const verdict = round === 1 ? ` [pdfsig: ${row.detail}]` : '';
  ctx.log(`${where}: ${sample.wallS.toFixed(2)} s, ${(sample.rssKiB / 1024).toFixed(1)} MiB${verdict}`);
  if (round === plan.runs) await rm(output, { force: true });
}

/** Runs all tools of `plan` and returns one row per tool (medians filled, ratios not yet). */
export async function benchSize(plan: SizePlan, ctx: RunContext): Promise<BenchRow[]> {
  ctx.log(`${plan.label}: input ${(plan.input.bytes / MIB).toFixed(1)} MiB, ${plan.runs} run(s) per tool`);
  const rows = new Map(plan.tools.map((tool) => [tool, emptyRow(plan, tool, 'OK', '')]));
  for (let round = 1; round <= plan.runs; round += 1) {
    for (const tool of plan.tools) {
      const row = rows.get(tool)!;
      if (row.status !== 'FAILED') await runOnce(plan, tool, row, round, ctx);
    }
  }
  const skipped = plan.notBuilt.map((tool) => emptyRow(plan, tool, 'NOT BUILT', 'dist/cli/signservice.mjs missing'));
  return [...skipped, ...plan.tools.map((tool) => withMedians(rows.get(tool)!))];
}
