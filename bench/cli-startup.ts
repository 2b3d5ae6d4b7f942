/**
 * `npm run bench:startup`: what our CLI costs before it does any work, bundled (dist/cli/signservice.mjs,
 * what the `bin` runs) against the unbundled tsc output (dist/shared/cli/main.js, one file per module), with
 * Node's own start-up (`node -e ''`) as the floor neither can go below. Cases: `--help` (the command table
 * only) and signing a tiny PDF (a few KB, with the visible stamp: the key, the font, the PDF engine, the
 * durable write, almost no bytes). Each run is a whole process (wall time from the harness, peak RSS from GNU
 * time); the variants take turns in rounds, so drift on the machine spreads over all of them; medians.
 * Options: --runs N (default 21), --cache-dir DIR.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureNoisePdf } from './support/bench-inputs.js';
import { ensureBenchKey } from './support/bench-key.js';
import { median } from './support/bench-rows.js';
import { runTimed } from './support/measure-process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VARIANTS = [
  { id: 'floor', label: "node -e '' (floor)", script: undefined },
  { id: 'unbundled', label: 'unbundled (tsc output)', script: path.join(ROOT, 'dist', 'shared', 'cli', 'main.js') },
  { id: 'bundled', label: 'bundled (the bin)', script: path.join(ROOT, 'dist', 'cli', 'signservice.mjs') },
] as const;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, 'cache-dir': { type: 'string' } } });
  const runs = Number(values.runs ?? 21);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a whole number, got ${values.runs}`);
  for (const v of VARIANTS) {
    if (v.script && !existsSync(v.script)) throw new Error(`${v.script} is missing: run \`npm run build\` first`);
  }
  const cacheDir = values['cache-dir'] ?? path.join(os.tmpdir(), 'signservice-bench-cache');
  const key = await ensureBenchKey(cacheDir);
  // make-noise-pdf.py makes at least 4 pages; at this target each holds a 64-pixel image: a ~20 KB file.
  const tiny = await ensureNoisePdf({
    cacheDir,
    scriptPath: path.join(ROOT, 'bench', 'support', 'make-noise-pdf.py'),
    targetBytes: 10_000,
    seed: 2,
  });
  const scratchDir = await mkdtemp(path.join(os.tmpdir(), 'signservice-bench-startup-'));
  const output = path.join(scratchDir, 'signed.pdf');
  const cases = [
    { label: '--help', args: ['--help'] },
    {
      label: `sign ${(tiny.bytes / 1024).toFixed(0)} KB PDF`,
      args: ['sign', tiny.path, '-o', output, '--p12', key.p12Path, '--p12-password', key.p12Password],
    },
  ];
  const samples = new Map<string, { wallMs: number[]; rssMiB: number[] }>();
  try {
    for (let round = 0; round < runs; round += 1) {
      for (const c of cases) {
        for (const v of VARIANTS) {
          await rm(output, { force: true });
          const args = v.script ? [v.script, ...c.args] : ['-e', ''];
          const run = await runTimed(process.execPath, args, { timeoutMs: 60_000, scratchDir });
          if (run.exitCode !== 0) throw new Error(`${v.label} ${c.label} failed: ${run.stderr.trim().slice(-300)}`);
          const key = `${c.label}|${v.id}`;
          const s = samples.get(key) ?? { wallMs: [], rssMiB: [] };
          s.wallMs.push(run.harnessWallMs);
          s.rssMiB.push((run.rssKiB ?? 0) / 1024);
          samples.set(key, s);
        }
      }
    }
  } finally {
    await rm(scratchDir, { recursive: true, force: true });
  }
  console.log(`CLI start-up, median of ${runs} runs (wall ms from the harness, peak RSS MiB from GNU time)\n`);
  console.log(
    `${'case'.padEnd(18)}${VARIANTS.map((v) => v.label.padStart(26)).join('')}${'bundled/unbundled'.padStart(20)}`,
  );
  for (const c of cases) {
    const med = (id: string) => {
      const s = samples.get(`${c.label}|${id}`)!;
      return { wall: median(s.wallMs)!, rss: median(s.rssMiB)! };
    };
    const cells = VARIANTS.map((v) => {
      const m = med(v.id);
      return `${m.wall.toFixed(0)} ms, ${m.rss.toFixed(0)} MiB`.padStart(26);
    });
    const ratio = med('bundled').wall / med('unbundled').wall;
    console.log(`${c.label.padEnd(18)}${cells.join('')}${`${ratio.toFixed(2)}x`.padStart(20)}`);
  }
}

main().catch((error: unknown) => {
  console.error(`cli-startup: ${(error as Error).message ?? error}`);
  process.exitCode = 1;
});
