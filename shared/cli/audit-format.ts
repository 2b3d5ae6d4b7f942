/**
 * The text `signservice audit verify` prints for a store report (verify-sign-log.ts) and for an offline
 * report of an export (verify-sign-log-export.ts). The first line is "OK: …" or "BROKEN at …"; scripts
 * can rely on that and on the exit code (0 or 1).
 */

import type { CheckpointSummary, SignLogProblem, SignLogReport } from '../audit/verify-sign-log.js';
import type { ExportReport, ExportRun } from '../audit/verify-sign-log-export.js';

const iso = (date: Date) => (Number.isNaN(date.getTime()) ? 'an invalid time' : date.toISOString());

/** "1 entry", "5 entries". */
const entries = (count: number) => `${count} ${count === 1 ? 'entry' : 'entries'}`;
const checkpoints = (count: number) => `${count} ${count === 1 ? 'checkpoint' : 'checkpoints'}`;

/** "checkpoint #3 at entry 100, 2025-03-01T12:00:00.000Z, timestamped by CN=… at …". */
export function describeCheckpoint(checkpoint: CheckpointSummary): string {
  const stamp = checkpoint.timestamp
    ? `, timestamped by ${checkpoint.timestamp.authority} at ${iso(checkpoint.timestamp.time)}`
    : ', not timestamped';
  return `checkpoint #${checkpoint.number} at entry ${checkpoint.seq}, ${iso(checkpoint.time)}${stamp}`;
}

/** "BROKEN at entry N: reason" (or at a checkpoint, or a line of an export). */
export function describeProblem(problem: Partial<SignLogProblem> & { reason: string; line?: number }): string {
  if (problem.checkpoint !== undefined) {
    return `BROKEN at checkpoint #${problem.checkpoint} (entry ${problem.seq}): ${problem.reason}`;
  }
  if (problem.seq === undefined) return `BROKEN at line ${problem.line}: ${problem.reason}`;
  const intact = problem.seq > 1 ? `; entries 1 to ${problem.seq - 1} are intact` : '';
  return `BROKEN at entry ${problem.seq}: ${problem.reason}${problem.line === undefined ? intact : ''}`;
}

/** The lines of a store report. */
export function formatStoreReport(report: SignLogReport): string {
  if (!report.ok && report.problem) return `${describeProblem(report.problem)}\n`;
  if (report.entries === 0) return 'OK: the sign log is empty (0 entries)\n';
  const last = `last hash ${report.head?.hash}`;
  if (report.format === 'unkeyed') {
    return (
      `OK: ${entries(report.entries)} in the old unkeyed format, the hash chain is intact; ${last}\n` +
      'The service adds MACs and a first checkpoint at its next start.\n'
    );
  }
  const checkpoint = report.lastCheckpoint
    ? `last ${describeCheckpoint(report.lastCheckpoint)}; ${entries(report.afterLastCheckpoint)} after it`
    : 'no checkpoint yet';
  return `OK: ${entries(report.entries)}, the keyed chain is intact; ${checkpoint}; ${last}\n`;
}

const span = (from: number, to: number) => (from === to ? `entry ${from}` : `entries ${from} to ${to}`);

function runLines(run: ExportRun): string[] {
  if (!run.checkpoint) return [`  ${span(run.from, run.to)}: after the last checkpoint (not checkable offline)`];
  const lines = [`  ${span(run.from, run.checkpoint.seq)}: covered by ${describeCheckpoint(run.checkpoint)}`];
  if (run.checkpoint.seq < run.to) {
    lines.push(`  ${span(run.checkpoint.seq + 1, run.to)}: after the last checkpoint (not checkable offline)`);
  }
  return lines;
}

/** The lines of an offline report; `certificateNote` says where the trusted certificate came from. */
export function formatExportReport(report: ExportReport, certificateNote: string): string {
  if (!report.ok && report.problem) return `${describeProblem(report.problem)}\n${certificateNote}\n`;
  const kind = report.ranged ? 'a time-range export' : 'the whole log';
  const lines = [
    `OK (offline): ${entries(report.entries)} (${kind}), the public hash chain is intact; ` +
      `${checkpoints(report.checkpointsChecked)} verified`,
    ...report.runs.flatMap(runLines),
  ];
  if (report.runs.some((r) => !r.checkpoint || r.checkpoint.seq < r.to)) {
    lines.push(
      'Entries after the last checkpoint are covered only by the keyed chain: check them with ' +
        "'signservice audit verify' and the master key, or after the next checkpoint.",
    );
  }
  if (report.checkpointsOutside > 0) {
    const one = report.checkpointsOutside === 1;
    lines.push(
      `${checkpoints(report.checkpointsOutside)} ${one ? 'names an entry' : 'name entries'} outside this export ` +
        `and ${one ? 'was' : 'were'} not checked.`,
    );
  }
  lines.push(certificateNote);
  return `${lines.join('\n')}\n`;
}
