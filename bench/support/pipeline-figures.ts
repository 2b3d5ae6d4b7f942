/**
 * The figures of the pipeline benchmark, computed from what the service itself records: each request's
 * step times in the store (same machine, same clock as the submit time taken here), the workers' step
 * duration histograms from /metrics, and CPU seconds per process from /proc.
 */
import type { SignRequest } from '../../shared/domain/sign-request.js';

/** The p-th percentile (0–100) of ascending `sorted` values, nearest-rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

function summarize(values: number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/** Latencies in ms from the submit call to each milestone the request records. */
export interface RequestLatencies {
  /** Taken by a worker and its document read (the fetch step's record). */
  fetched: LatencySummary;
  /** The signature started (the sign step's signing time): queue wait + fetch. */
  signing: LatencySummary;
  /** The signed document written to its destination (deliver step). */
  delivered: LatencySummary;
  /** Completed: signed, delivered, in the sign log (what `request submit --wait` waits for). */
  completed: LatencySummary;
}

export function requestLatencies(runs: { submittedAt: number; request: SignRequest }[]): RequestLatencies {
  const since = (pick: (r: SignRequest) => Date | undefined) =>
    summarize(runs.map(({ submittedAt, request }) => (pick(request)?.getTime() ?? Number.NaN) - submittedAt));
  return {
    fetched: since((r) => r.steps.fetch?.at),
    signing: since((r) => r.steps.sign?.at),
    delivered: since((r) => r.steps.deliver?.at),
    completed: since((r) => (r.state === 'completed' ? r.updatedAt : undefined)),
  };
}

/** Sum and count of every `signservice_step_duration_seconds{step,outcome="done"}` in a /metrics text. */
export function stepTotals(metricsText: string): Map<string, { seconds: number; count: number }> {
  const totals = new Map<string, { seconds: number; count: number }>();
  const pattern = /^signservice_step_duration_seconds_(sum|count)\{([^}]*)\} (\S+)$/;
  for (const line of metricsText.split('\n')) {
    const m = pattern.exec(line);
    if (!m?.[2]?.includes('outcome="done"')) continue;
    const step = /step="([^"]+)"/.exec(m[2])?.[1];
    if (!step) continue;
    const t = totals.get(step) ?? { seconds: 0, count: 0 };
    if (m[1] === 'sum') t.seconds += Number(m[3]);
    else t.count += Number(m[3]);
    totals.set(step, t);
  }
  return totals;
}

/** Mean ms per step over the measured window: (after − before) summed over the workers. */
export function stepMeans(before: string[], after: string[]): { step: string; meanMs: number; count: number }[] {
  const sum = (texts: string[]) => {
    const all = new Map<string, { seconds: number; count: number }>();
    for (const text of texts) {
      for (const [step, t] of stepTotals(text)) {
        const a = all.get(step) ?? { seconds: 0, count: 0 };
        all.set(step, { seconds: a.seconds + t.seconds, count: a.count + t.count });
      }
    }
    return all;
  };
  const b = sum(before);
  const rows: { step: string; meanMs: number; count: number }[] = [];
  for (const [step, t] of sum(after)) {
    const seconds = t.seconds - (b.get(step)?.seconds ?? 0);
    const count = t.count - (b.get(step)?.count ?? 0);
    if (count > 0) rows.push({ step, meanMs: (seconds * 1000) / count, count });
  }
  const order = ['fetch', 'sign', 'deliver', 'log', 'notify', 'callback', 'complete'];
  return rows.sort((x, y) => order.indexOf(x.step) - order.indexOf(y.step));
}
