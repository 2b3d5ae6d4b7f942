/**
 * Measures one whole process with GNU time: `%e` is the elapsed wall time in seconds (10 ms resolution)
 * and `%M` the peak resident set size in KiB of the process and the children it waited for. The result
 * goes to a file (`-o`) so it never mixes with the measured program's own stderr.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from './run-command.js';

/** The GNU time binary; the shell keyword `time` has no `-f`. */
export const GNU_TIME = '/usr/bin/time';

/** One measured run. `wallS`/`rssKiB` are null when GNU time wrote no figures (the run was killed). */
export interface TimedRun {
  exitCode: number | null;
  timedOut: boolean;
  wallS: number | null;
  rssKiB: number | null;
  /** Wall time seen by the harness (ms resolution, includes spawning GNU time). */
  harnessWallMs: number;
  stdout: string;
  stderr: string;
}

/**
 * Reads the figures GNU time wrote. Its file may start with "Command exited with non-zero status N"
 * or "Command terminated by signal N"; the figures are on the last line.
 */
export function parseTimeOutput(text: string): { wallS: number; rssKiB: number } | null {
  const lines = text.trim().split('\n');
  const match = /^(\d+(?:\.\d+)?) (\d+)$/.exec(lines[lines.length - 1]?.trim() ?? '');
  if (!match) return null;
  return { wallS: Number(match[1]), rssKiB: Number(match[2]) };
}

let sequence = 0;

/** Runs `command args` under GNU time, writing its figures to a file in `scratchDir`. */
export async function runTimed(
  command: string,
  args: readonly string[],
  options: { timeoutMs: number; scratchDir: string },
): Promise<TimedRun> {
  sequence += 1;
  const timeFile = path.join(options.scratchDir, `time-${process.pid}-${sequence}.txt`);
  const result = await runCommand(GNU_TIME, ['-f', '%e %M', '-o', timeFile, command, ...args], {
    timeoutMs: options.timeoutMs,
  });
  const figures = parseTimeOutput(await readFile(timeFile, 'utf8').catch(() => ''));
  await rm(timeFile, { force: true });
  return {
    exitCode: result.code,
    timedOut: result.timedOut,
    wallS: figures?.wallS ?? null,
    rssKiB: figures?.rssKiB ?? null,
    harnessWallMs: result.elapsedMs,
    stdout: result.stdout,
    stderr: result.stderr,
  };
}
