/**
 * The old figure of bench:pipeline, measured again in the same run: the code at a git commit is unpacked
 * (`git archive`, so no worktree is registered) into the bench cache, built with this checkout's
 * node_modules (a symbolic link; the dependencies are the same), and its own pipeline benchmark is run as a
 * child process with the same shape. Its results file gives throughput and CPU per document. A build is
 * kept per commit, so a second run starts at once.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';

/** The commit issue 14 was filed against: before batch signing and the pipeline's CPU work. */
export const DEFAULT_BASELINE = '698afe24b91623cb63a1a858c9fe4244e2b3a641';

export interface BaselineFigures {
  commit: string;
  throughput: number;
  /** CPU ms per document, all processes together. */
  cpuMsPerDoc: number;
  wallSeconds: number;
}

function git(repoRoot: string, args: string[]): string {
  const result = spawnSync('git', ['-C', repoRoot, ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/** Unpacks and builds `ref` under `cacheDir` once; returns the checkout's directory. */
export function prepareBaseline(repoRoot: string, ref: string, cacheDir: string): { dir: string; commit: string } {
  const commit = git(repoRoot, ['rev-parse', '--verify', `${ref}^{commit}`]);
  const dir = path.join(cacheDir, `baseline-${commit.slice(0, 12)}`);
  const entry = path.join(dir, 'dist', 'bench', 'pipeline-throughput.js');
  if (existsSync(entry)) return { dir, commit };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // No shell: the paths go to git and tar as arguments, whatever characters they hold.
  const archive = path.join(dir, 'baseline.tar');
  git(repoRoot, ['archive', '--format=tar', '-o', archive, commit]);
  const unpack = spawnSync('tar', ['-xf', archive, '-C', dir], { encoding: 'utf8' });
  rmSync(archive, { force: true });
  if (unpack.status !== 0) throw new Error(`cannot unpack ${commit}: ${unpack.stderr.trim()}`);
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const build = spawnSync(process.execPath, [tsc, '-p', path.join(dir, 'tsconfig.json')], { encoding: 'utf8' });
  if (build.status !== 0 || !existsSync(entry)) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`cannot build ${commit}: ${(build.stdout + build.stderr).trim().slice(0, 2000)}`);
  }
  return { dir, commit };
}

/** Runs the baseline's own bench with the same shape and reads its results. */
export async function runBaseline(
  baseline: { dir: string; commit: string },
  shape: { count: number; rate: number; workers: number; prefetch: number; warmup: number },
  log: (line: string) => void,
): Promise<BaselineFigures> {
  const args = [
    path.join(baseline.dir, 'dist', 'bench', 'pipeline-throughput.js'),
    ...['--count', String(shape.count), '--rate', String(shape.rate), '--workers', String(shape.workers)],
    ...['--prefetch', String(shape.prefetch), '--warmup', String(shape.warmup)],
  ];
  const child = spawn(process.execPath, args, { cwd: baseline.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`the baseline's bench failed (exit ${code}):\n${output.slice(-3000)}`);
  const results = JSON.parse(
    readFileSync(path.join(baseline.dir, 'bench', 'results', 'pipeline-throughput.json'), 'utf8'),
  );
  const f = results.figures as { throughput: number; wallSeconds: number; cpuMsPerDoc: { ms: number }[] };
  const figures = {
    commit: baseline.commit,
    throughput: f.throughput,
    wallSeconds: f.wallSeconds,
    cpuMsPerDoc: f.cpuMsPerDoc.reduce((sum, c) => sum + c.ms, 0),
  };
  log(
    `baseline ${baseline.commit.slice(0, 7)}: ${figures.throughput.toFixed(1)} documents/s, ` +
      `${figures.cpuMsPerDoc.toFixed(1)} ms CPU per document`,
  );
  return figures;
}
