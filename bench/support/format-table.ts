/** Renders the benchmark rows and targets as the plain-text table printed at the end of a run. */
import type { BenchRow } from './bench-rows.js';
import type { TargetResult } from './bench-targets.js';

const HEADERS = ['size', 'tool', 'runs', 'wall med (s)', 'RSS med (MiB)', 'wall/pdfsig', 'RSS/pdfsig', 'status'];

function num(value: number | null, digits: number, suffix = ''): string {
  return value === null ? '-' : `${value.toFixed(digits)}${suffix}`;
}

function cells(row: BenchRow): string[] {
  if (row.status === 'NOT BUILT') return [row.size, row.tool, '-', '-', '-', '-', '-', 'ours: not built'];
  const status = row.status === 'OK' ? 'OK' : `${row.status}: ${row.detail}`;
  return [
    row.size,
    row.tool,
    String(row.samples.length),
    num(row.wallMedianS, 2),
    num(row.rssMedianMiB, 1),
    num(row.wallRatio, 2, 'x'),
    num(row.rssRatio, 2, 'x'),
    status,
  ];
}

/** The results table: one line per tool and size, columns padded to the widest cell. */
export function formatTable(rows: readonly BenchRow[]): string {
  const body = rows.map(cells);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...body.map((c) => (i === 7 ? 0 : c[i]!.length))));
  const line = (c: string[]): string =>
    c
      .map((cell, i) => (i === c.length - 1 ? cell : i >= 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ');
  const rule = widths.map((w, i) => '-'.repeat(i === 7 ? HEADERS[7]!.length : w)).join('  ');
  return [line(HEADERS), rule, ...body.map(line)].join('\n');
}

/** The targets block: one line per target with its verdict and the figures behind it. */
export function formatTargets(targets: readonly TargetResult[]): string {
  const width = Math.max(...targets.map((t) => t.name.length));
  return targets.map((t) => `${t.name.padEnd(width)}  ${t.status.padEnd(7)}  ${t.detail}`).join('\n');
}
