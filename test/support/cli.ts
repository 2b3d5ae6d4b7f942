/** Runs the built `signservice` CLI as a child process, as an operator would. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/shared/cli/main.js, resolved from this compiled file (dist/test/support/cli.js). */
export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared/cli/main.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Where and as whom the command runs. @default this process's folder and user */
export interface CliRunOptions {
  cwd?: string;
  /** Run as this user and group (the tests run as root; a read-only folder binds only other users). */
  uid?: number;
  gid?: number;
  /** The entry file. @default CLI (tsc's output; the bundle is dist/cli/signservice.mjs) */
  entry?: string;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, options: CliRunOptions = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [options.entry ?? CLI, ...args],
      {
        // The machine's /etc/signservice/signservice.env stays out of the tests (a test may name its own file).
        env: { ...process.env, SIGNSERVICE_CONFIG: '/dev/null', ...env },
        maxBuffer: 16 * 1024 * 1024,
        ...(options.cwd ? { cwd: options.cwd } : {}),
        ...(options.uid !== undefined ? { uid: options.uid } : {}),
        ...(options.gid !== undefined ? { gid: options.gid } : {}),
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
