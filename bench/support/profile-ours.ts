/**
 * `--cpu-prof`: where our CLI's main thread spends its time while signing one input (visible stamp), from V8
 * CPU profiles of a few whole runs. It profiles the unbundled build (dist/shared/cli/main.js): the code is the
 * same as the bundle's, but each frame keeps the path of its module, which the categories are made of.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AppError, ErrorCode } from '../../shared/errors.js';
import type { BenchInput } from './bench-inputs.js';
import type { BenchKey } from './bench-key.js';
import { formatCpuProfile, summarizeCpuProfiles } from './cpu-profile-summary.js';
import { runCommand } from './run-command.js';

/** Sampling interval in µs: fine enough for a run of a few hundred milliseconds. */
const INTERVAL_US = 200;

/** Profiles `runs` signatures of `input` and returns the report lines. */
export async function profileOurCli(options: {
  repoRoot: string;
  input: BenchInput;
  label: string;
  key: BenchKey;
  runs: number;
}): Promise<string[]> {
  const cli = path.join(options.repoRoot, 'dist', 'shared', 'cli', 'main.js');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'signservice-bench-prof-'));
  try {
    const profiles = path.join(dir, 'profiles');
    for (let i = 0; i < options.runs; i += 1) {
      const output = path.join(dir, `signed-${i}.pdf`);
      const profiling = ['--cpu-prof', '--cpu-prof-dir', profiles, '--cpu-prof-interval', String(INTERVAL_US)];
      const signing = ['sign', options.input.path, '-o', output, '--p12', options.key.p12Path];
      const run = await runCommand(
        process.execPath,
        [...profiling, cli, ...signing, '--p12-password', options.key.p12Password],
        { timeoutMs: 120_000 },
      );
      if (run.code !== 0) {
        throw new AppError(ErrorCode.INTERNAL, `profiled run ${i + 1} failed: ${run.stderr.trim().slice(-300)}`);
      }
      await rm(output, { force: true });
    }
    const title =
      `our CLI's main thread signing ${options.label} (visible stamp; V8 profiles of ${options.runs} whole runs, ` +
      'ms per run; node:fs calls that block count as file I/O)';
    return formatCpuProfile(summarizeCpuProfiles(profiles), options.runs, { title, showIdle: true });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
