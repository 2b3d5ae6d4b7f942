/**
 * The signers under comparison, each run as a whole process on the same input with the same key.
 * pdfsig is the reference: ratios in the table are relative to it.
 */
import path from 'node:path';
import type { BenchKey } from './bench-key.js';

/** What the table groups a tool under: ours, the reference (pdfsig) or another peer. */
export type ToolKind = 'ours' | 'reference' | 'peer';

/** One signing job: sign `input` into `output` with `key`. */
export interface SignJob {
  input: string;
  output: string;
  key: BenchKey;
}

/** A signer the benchmark can run. */
export interface SignTool {
  id: string;
  label: string;
  kind: ToolKind;
  /** The process to run for one job. */
  argv(job: SignJob): { command: string; args: string[] };
}

/**
 * Where the built entry points of our CLI (the bundled file the package's `bin` runs, made by `npm run build`)
 * and the pdf-lib peer are, relative to the repository.
 */
export function toolPaths(repoRoot: string): { cli: string; pdflibPeer: string } {
  return {
    cli: path.join(repoRoot, 'dist', 'cli', 'signservice.mjs'),
    pdflibPeer: path.join(repoRoot, 'dist', 'bench', 'peers', 'pdflib-signpdf.js'),
  };
}

function oursTool(cli: string, invisible: boolean): SignTool {
  return {
    id: invisible ? 'ours-invisible' : 'ours-visible',
    label: invisible ? 'ours --invisible' : 'ours (visible stamp)',
    kind: 'ours',
    argv: ({ input, output, key }) => {
      const keyFlags = ['--p12', key.p12Path, '--p12-password', key.p12Password];
      const mode = invisible ? ['--invisible'] : [];
      return { command: process.execPath, args: [cli, 'sign', input, '-o', output, ...keyFlags, ...mode] };
    },
  };
}

/** All four tools, ours first. */
export function signTools(repoRoot: string): SignTool[] {
  const paths = toolPaths(repoRoot);
  return [
    oursTool(paths.cli, true),
    oursTool(paths.cli, false),
    {
      id: 'pdfsig',
      label: 'pdfsig (poppler)',
      kind: 'reference',
      argv: ({ input, output, key }) => ({
        command: 'pdfsig',
        args: ['-add-signature', '-nssdir', key.nssDb, '-nick', key.nick, input, output],
      }),
    },
    {
      id: 'pdflib-signpdf',
      label: 'pdf-lib + @signpdf',
      kind: 'peer',
      argv: ({ input, output, key }) => ({
        command: process.execPath,
        args: [paths.pdflibPeer, input, output, key.p12Path, key.p12Password],
      }),
    },
  ];
}
