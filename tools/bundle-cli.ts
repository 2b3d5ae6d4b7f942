/**
 * Bundles the compiled CLI (dist/shared/cli/main.js, from `tsc`) into dist/cli/signservice.mjs, what the
 * `signservice` bin runs. Start-up cost is per module: `signservice sign` loaded 62 compiled modules, each
 * resolved, read, compiled and linked on its own; bundled it loads 15 files. Only our own code is bundled:
 * npm packages stay imports resolved from node_modules at run time (native addons such as pkcs11js and
 * better-sqlite3 cannot be bundled anyway), and every command and lazily imported module becomes its own
 * chunk, so a command still loads only what it uses. Run by `npm run build` after `tsc`.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The repository root: this file runs as dist/tools/bundle-cli.js. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT_DIR = path.join(ROOT, 'dist', 'cli');

async function main(): Promise<void> {
  // Chunk names carry content hashes: clear the old ones so the folder holds one build.
  rmSync(OUT_DIR, { recursive: true, force: true });
  await build({
    entryPoints: { signservice: path.join(ROOT, 'dist', 'shared', 'cli', 'main.js') },
    outdir: OUT_DIR,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    logLevel: 'warning',
  });
}

main().catch((error: unknown) => {
  console.error(`bundle-cli: ${(error as Error).message ?? error}`);
  process.exitCode = 1;
});
