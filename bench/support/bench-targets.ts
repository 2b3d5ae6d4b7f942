/**
 * The product targets the benchmark reports on, each MET, NOT MET or NOT RUN. They judge our CLI only;
 * a target is MET only when every one of our rows it covers meets it (visible and invisible alike).
 */
import { type BenchRow, MIB } from './bench-rows.js';

/** Outcome of one target. */
export type TargetStatus = 'MET' | 'NOT MET' | 'NOT RUN';

/** One target and the figures behind its verdict. */
export interface TargetResult {
  name: string;
  status: TargetStatus;
  detail: string;
}

/** Size label of the input the wall-time target is judged on. */
export const WALL_TARGET_SIZE = '30 MB';
/** Size label of the scanned-document input from another producer (img2pdf). */
export const FOREIGN_SIZE = 'foreign 38 MB';
/** Our visible stamp on the foreign input may take at most this share of pdfsig's wall time. */
const FOREIGN_WALL_RATIO = 0.8;
/** Size label of the large input that only our CLI signs. */
export const LARGE_SIZE = '300 MB';
/** Headroom over the file size allowed for peak RSS. */
const RSS_HEADROOM_MIB = 100;

const fmt = (n: number | null, digits = 2): string => (n === null ? 'n/a' : n.toFixed(digits));

function notRun(name: string, detail: string): TargetResult {
  return { name, status: 'NOT RUN', detail };
}

function wallTarget(ours: BenchRow[], rows: readonly BenchRow[]): TargetResult {
  const name = `wall on ${WALL_TARGET_SIZE} <= 1.0x pdfsig`;
  const covered = ours.filter((r) => r.size === WALL_TARGET_SIZE);
  const reference = rows.find((r) => r.size === WALL_TARGET_SIZE && r.kind === 'reference');
  if (covered.length === 0) return notRun(name, `our CLI did not run on ${WALL_TARGET_SIZE}`);
  if (reference?.status !== 'OK') return notRun(name, `pdfsig did not sign ${WALL_TARGET_SIZE} cleanly`);
  const detail = covered.map((r) => `${r.tool}: ${r.status === 'OK' ? `${fmt(r.wallRatio)}x` : r.status}`);
  const met = covered.every((r) => r.status === 'OK' && r.wallRatio !== null && r.wallRatio <= 1.0);
  return { name, status: met ? 'MET' : 'NOT MET', detail: detail.join('; ') };
}

/** Judged on the visible stamp (the default mode); the invisible mode's ratio is shown beside it. */
function foreignTarget(ours: BenchRow[], rows: readonly BenchRow[]): TargetResult {
  const name = `wall on ${FOREIGN_SIZE} <= ${FOREIGN_WALL_RATIO}x pdfsig (visible)`;
  const covered = ours.filter((r) => r.size === FOREIGN_SIZE);
  const visible = covered.find((r) => r.toolId === 'ours-visible');
  const reference = rows.find((r) => r.size === FOREIGN_SIZE && r.kind === 'reference');
  if (!visible) return notRun(name, `our visible mode did not run on ${FOREIGN_SIZE}`);
  if (reference?.status !== 'OK') return notRun(name, `pdfsig did not sign ${FOREIGN_SIZE} cleanly`);
  const detail = covered.map(
    (r) => `${r.tool}: ${r.status === 'OK' ? `${fmt(r.wallMedianS)} s, ${fmt(r.wallRatio)}x` : r.status}`,
  );
  detail.push(`pdfsig: ${fmt(reference.wallMedianS)} s`);
  const met = visible.status === 'OK' && visible.wallRatio !== null && visible.wallRatio <= FOREIGN_WALL_RATIO;
  return { name, status: met ? 'MET' : 'NOT MET', detail: detail.join('; ') };
}

function rssTarget(ours: BenchRow[]): TargetResult {
  const name = `peak RSS <= file size + ${RSS_HEADROOM_MIB} MiB`;
  if (ours.length === 0) return notRun(name, 'our CLI did not run');
  const verdicts = ours.map((r) => {
    const limit = r.inputBytes / MIB + RSS_HEADROOM_MIB;
    const ok = r.status === 'OK' && r.rssMedianMiB !== null && r.rssMedianMiB <= limit;
    const figure = r.status === 'OK' ? `${fmt(r.rssMedianMiB, 0)}/${fmt(limit, 0)} MiB` : r.status;
    return { ok, text: `${r.size} ${r.tool}: ${figure}` };
  });
  const met = verdicts.every((v) => v.ok);
  return { name, status: met ? 'MET' : 'NOT MET', detail: verdicts.map((v) => v.text).join('; ') };
}

function largeTarget(ours: BenchRow[], skipLarge: boolean): TargetResult {
  const name = `${LARGE_SIZE} signs`;
  if (skipLarge) return notRun(name, '--skip-300 given');
  const covered = ours.filter((r) => r.size === LARGE_SIZE);
  if (covered.length === 0) return notRun(name, `our CLI did not run on ${LARGE_SIZE}`);
  const met = covered.every((r) => r.status === 'OK');
  const detail = covered.map((r) => `${r.tool}: ${r.status}, ${fmt(r.wallMedianS)} s, ${fmt(r.rssMedianMiB, 0)} MiB`);
  return { name, status: met ? 'MET' : 'NOT MET', detail: detail.join('; ') };
}

/** Judges the four targets on finished rows (medians and ratios filled). */
export function evaluateTargets(rows: readonly BenchRow[], options: { skipLarge: boolean }): TargetResult[] {
  const ours = rows.filter((r) => r.kind === 'ours' && r.status !== 'NOT BUILT');
  return [wallTarget(ours, rows), foreignTarget(ours, rows), rssTarget(ours), largeTarget(ours, options.skipLarge)];
}
