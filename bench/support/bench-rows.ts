/**
 * The result rows of the benchmark and the arithmetic on them: medians, and ratios against pdfsig at
 * the same input size. Pure functions; the runner fills the samples.
 */
import type { ToolKind } from './sign-tools.js';

/**
 * OK: every run exited 0 and pdfsig found the output valid. INVALID: the tool exited 0 but pdfsig
 * rejected the output. FAILED: a run exited non-zero or timed out. NOT BUILT: our CLI is not compiled yet.
 */
export type RowStatus = 'OK' | 'INVALID' | 'FAILED' | 'NOT BUILT';

/** One measured run of one tool. */
export interface Sample {
  wallS: number;
  rssKiB: number;
  harnessWallMs: number;
}

/** One tool on one input size. */
export interface BenchRow {
  size: string;
  inputBytes: number;
  toolId: string;
  tool: string;
  kind: ToolKind;
  status: RowStatus;
  /** pdfsig's verdict, or why the row failed. */
  detail: string;
  samples: Sample[];
  wallMedianS: number | null;
  rssMedianMiB: number | null;
  /** Median wall time over pdfsig's median wall time on the same input; null when either is missing. */
  wallRatio: number | null;
  rssRatio: number | null;
}

/** Bytes in a MiB, the unit RSS is reported in. */
export const MIB = 1024 * 1024;

/** The median; for an even count, the mean of the two middle values. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Fills the medians of a row from its samples. */
export function withMedians(row: BenchRow): BenchRow {
  const wall = median(row.samples.map((s) => s.wallS));
  const rssKiB = median(row.samples.map((s) => s.rssKiB));
  return { ...row, wallMedianS: wall, rssMedianMiB: rssKiB === null ? null : rssKiB / 1024 };
}

function ratio(value: number | null, reference: number | null): number | null {
  if (value === null || reference === null || reference <= 0) return null;
  return value / reference;
}

/** Adds to every row its ratios against the pdfsig row of the same size (if pdfsig ran cleanly there). */
export function withRatios(rows: readonly BenchRow[]): BenchRow[] {
  return rows.map((row) => {
    const reference = rows.find((r) => r.size === row.size && r.kind === 'reference' && r.status === 'OK');
    return {
      ...row,
      wallRatio: ratio(row.wallMedianS, reference?.wallMedianS ?? null),
      rssRatio: ratio(row.rssMedianMiB, reference?.rssMedianMiB ?? null),
    };
  });
}
