/**
 * CPU time from /proc (Linux): of one process by pid (utime + stime, `proc(5)` fields 14 and 15, in clock
 * ticks) and of the whole machine (/proc/stat "cpu" line: busy and iowait). Read before and after a run,
 * the differences say which process used the cores and whether the disk held them up.
 */
import { readFileSync } from 'node:fs';

/** Linux's USER_HZ; the kernel reports /proc times in these ticks (100 on every mainstream build). */
const TICKS_PER_SECOND = 100;

/** CPU seconds used so far by process `pid` (user + system), or undefined when it is gone. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Machine-wide CPU seconds since boot, summed over all cores. */
export interface MachineCpu {
  busy: number;
  iowait: number;
  total: number;
}

export function machineCpu(): MachineCpu {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  // cpu user nice system idle iowait irq softirq steal ...
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number) as number[];
  const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
  const total = busy + (idle ?? 0) + (iowait ?? 0);
  return { busy: busy / TICKS_PER_SECOND, iowait: (iowait ?? 0) / TICKS_PER_SECOND, total: total / TICKS_PER_SECOND };
}
