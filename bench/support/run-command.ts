/**
 * Runs one child process for the benchmark, with a hard timeout. The child gets its own process group
 * so that a timeout (or Ctrl-C on the harness) ends `/usr/bin/time` and the process it measures
 * together; killing only `/usr/bin/time` would leave the signer running and skew the next sample.
 */
import { spawn } from 'node:child_process';
import { AppError, ErrorCode } from '../../shared/errors.js';

/** What a finished child process left behind. */
export interface CommandResult {
  /** Exit code, or null when a signal ended the process. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** True when the harness killed the process for running past `timeoutMs`. */
  timedOut: boolean;
  /** Wall time measured by the harness around the spawn, in milliseconds. */
  elapsedMs: number;
}

/** Keep at most this much of each output stream (the tail, where errors are). */
const OUTPUT_LIMIT = 64 * 1024;

/** Process groups still running, so an interrupted benchmark leaves no signer behind. */
const running = new Set<number>();
let interruptHandlerInstalled = false;

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The group is already gone.
  }
}

function installInterruptHandler(): void {
  if (interruptHandlerInstalled) return;
  interruptHandlerInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const pid of running) killGroup(pid);
      process.exit(130);
    });
  }
}

function keepTail(text: string): string {
  return text.length > OUTPUT_LIMIT ? text.slice(-OUTPUT_LIMIT) : text;
}

/** Runs `command args`, capturing output; resolves on exit, whatever the exit code. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { timeoutMs: number },
): Promise<CommandResult> {
  installInterruptHandler();
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const pid = child.pid;
    if (pid !== undefined) running.add(pid);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout = keepTail(stdout + chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = keepTail(stderr + chunk);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) killGroup(pid);
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      if (pid !== undefined) running.delete(pid);
      reject(new AppError(ErrorCode.INTERNAL, `Cannot start ${command}: ${error.message}`, { cause: error }));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (pid !== undefined) running.delete(pid);
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
      resolve({ code, stdout, stderr, timedOut, elapsedMs });
    });
  });
}

/** Runs a setup step that must succeed (openssl, certutil, python); throws with its stderr otherwise. */
export async function runChecked(command: string, args: readonly string[], timeoutMs = 600_000): Promise<string> {
  const result = await runCommand(command, args, { timeoutMs });
  if (result.code !== 0) {
    const why = result.timedOut ? `timed out after ${timeoutMs} ms` : `exit code ${result.code}`;
    const tail = (result.stderr || result.stdout).trim().split('\n').slice(-5).join('\n');
    throw new AppError(
      ErrorCode.INTERNAL,
      `Benchmark setup step failed (${why}): ${command} ${args.join(' ')}\n${tail}`,
    );
  }
  return result.stdout;
}
