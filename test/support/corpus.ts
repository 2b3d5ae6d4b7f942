/**
 * The PDF fixture corpus, built once by test/fixtures/make-corpus.sh and cached under os.tmpdir().
 *
 * The cache directory is named after the SHA-256 of the script and its helper files, so it is reused
 * across test runs until one of them changes. A build goes to a private directory first and is then
 * renamed into place, so a half-built corpus is never reused and parallel test processes do not race.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { runTool } from './run-tool.js';

/** One corpus file; `name` is the file name, e.g. "qpdf-objstm.pdf". */
export interface CorpusFile {
  name: string;
  path: string;
}

/** Where the corpus lives and what it holds. */
export interface Corpus {
  dir: string;
  /** Inputs a signer must accept (each passes `qpdf --check`), sorted by name. */
  good: CorpusFile[];
  /** Inputs a signer must refuse, by file name without ".pdf": `bad.empty`, `bad['wrong-startxref']`, ... */
  bad: Record<string, string>;
  /** NSS database that trusts the CA of signed-by-pdfsig.pdf; pass it to pdfsig() as nssDir. */
  nssDir: string;
  /** That CA's certificate (PEM). */
  caCert: string;
}

const SCRIPT = 'make-corpus.sh';
/** Helper programs the script runs; their content is part of the cache key. */
const HELPER_DIR = 'corpus';

let corpus: Promise<Corpus> | undefined;

/** Builds the corpus (or finds the cached one) once per process; rejects with the script's output if it fails. */
export function getCorpus(): Promise<Corpus> {
  corpus ??= loadCorpus();
  return corpus;
}

async function loadCorpus(): Promise<Corpus> {
  const fixtures = await findFixturesDir();
  const key = await cacheKey(fixtures);
  const dir = path.join(os.tmpdir(), `signservice-corpus-${key.slice(0, 16)}`);
  if (!(await exists(dir))) await build(fixtures, dir);
  return listCorpus(dir);
}

/** test/fixtures in the source tree: found by walking up from this module (it runs from dist/). */
async function findFixturesDir(): Promise<string> {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'test', 'fixtures');
    if (await exists(path.join(candidate, SCRIPT))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new AppError(
        ErrorCode.FILE_IO,
        `cannot find test/fixtures/${SCRIPT} above ${fileURLToPath(import.meta.url)}`,
      );
    }
    dir = parent;
  }
}

/** SHA-256 over the script and every helper file (names and bytes, in name order). */
async function cacheKey(fixtures: string): Promise<string> {
  const hash = createHash('sha256');
  const helpers = (await fs.readdir(path.join(fixtures, HELPER_DIR))).sort().map((f) => path.join(HELPER_DIR, f));
  for (const file of [SCRIPT, ...helpers]) {
    hash.update(`${file}\0`);
    hash.update(await fs.readFile(path.join(fixtures, file)));
  }
  return hash.digest('hex');
}

async function build(fixtures: string, dir: string): Promise<void> {
  const staging = await fs.mkdtemp(`${dir}.building-`);
  try {
    const target = path.join(staging, 'corpus');
    const run = await runTool('bash', [path.join(fixtures, SCRIPT), target], { timeoutMs: 180_000 });
    if (run.exitCode !== 0) {
      throw new AppError(
        ErrorCode.INTERNAL,
        `${SCRIPT} failed (exit ${run.exitCode}):\n${run.stderr.trim()}\n${run.stdout.trim()}`,
      );
    }
    await fs.rename(target, dir).catch(async (error: NodeJS.ErrnoException) => {
      // Another test process finished the same build first: keep its copy.
      if (!['EEXIST', 'ENOTEMPTY'].includes(error.code ?? '') || !(await exists(dir))) throw error;
    });
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

async function listCorpus(dir: string): Promise<Corpus> {
  const pdfs = async (d: string) => (await fs.readdir(d)).filter((f) => f.endsWith('.pdf')).sort();
  const good = (await pdfs(dir)).map((name) => ({ name, path: path.join(dir, name) }));
  const badFiles = await pdfs(path.join(dir, 'bad'));
  const bad = Object.fromEntries(badFiles.map((name) => [path.basename(name, '.pdf'), path.join(dir, 'bad', name)]));
  return {
    dir,
    good,
    bad,
    nssDir: path.join(dir, 'support', 'nssdb'),
    caCert: path.join(dir, 'support', 'ca.pem'),
  };
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}
