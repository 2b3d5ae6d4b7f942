/**
 * What a running child process costs, read from Linux's /proc: CPU time (utime + stime, /proc/PID/stat,
 * in clock ticks of 1/100 s) and peak resident memory (VmHWM in /proc/PID/status, the high-water mark of
 * the resident set since the process started).
 */
import fs from 'node:fs';

/** USER_HZ: the unit of utime and stime (100 on every Linux this runs on; `getconf CLK_TCK`). */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / CLOCK_TICKS_PER_SECOND;
}

/** Peak resident set size in bytes since the process started. */
export function peakRssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** The share of one core the process used over `ms` from now (1.0 = one core busy). */
export async function coreShareOver(pid: number, ms: number): Promise<number> {
  const before = cpuSeconds(pid);
  const began = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return (cpuSeconds(pid) - before) / ((performance.now() - began) / 1000);
}
