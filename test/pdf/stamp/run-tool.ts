import { spawnSync } from 'node:child_process';

/** What a command-line tool printed and returned. */
export interface ToolResult {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a real tool (poppler, qpdf, mupdf, /usr/bin/python3) synchronously. A missing tool fails the test with
 * the package to install; tests never skip.
 */
export function runTool(command: string, args: string[]): ToolResult {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error !== undefined) {
    throw new Error(
      `${command} could not be run (${result.error.message}); install poppler-utils, qpdf, mupdf-tools and python3-pil`,
    );
  }
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a tool and fails with its output unless it exits 0. */
export function runToolOk(command: string, args: string[]): ToolResult {
  const result = runTool(command, args);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}
