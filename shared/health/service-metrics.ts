/**
 * The Prometheus metrics of a SignService process (prom-client, one registry per process so tests can run
 * several): jobs in flight, job outcomes, step durations, and — sampled at scrape time — queue depth and lag
 * per route and the health of each token. Default process metrics (memory, CPU, event-loop lag) come along
 * under the same prefix.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { JobQueue, QueueDepth } from '../queue/queue-port.js';
import type { TokenReport } from './token-report.js';
import { withTimeout } from './with-timeout.js';

const PREFIX = 'signservice_';

/** Where the scrape-time gauges read from; every source is optional (an activity without worker has no tokens). */
export interface MetricsSources {
  queue?: JobQueue;
  /** The routes whose depth is reported. */
  routes?: () => readonly string[];
  /** The latest token reports (from the token monitor). */
  tokens?: () => readonly TokenReport[];
  /** @default 2000 */
  probeTimeoutMs?: number;
}

export interface ServiceMetrics {
  readonly registry: Registry;
  readonly jobsInFlight: Gauge;
  /** result: completed, failed, already-final, waiting, retry, parked-invalid. */
  readonly jobOutcomes: Counter<'result'>;
  readonly stepDuration: Histogram<'step' | 'outcome'>;
  /** The Prometheus text of every metric. */
  text(): Promise<string>;
}

/** Creates the registry and its metrics. */
export function createServiceMetrics(sources: MetricsSources = {}): ServiceMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: PREFIX });
  const timeout = sources.probeTimeoutMs ?? 2000;
  const jobsInFlight = new Gauge({
    name: `${PREFIX}jobs_in_flight`,
    help: 'Sign jobs being handled by this process right now',
    registers: [registry],
  });
  const jobOutcomes = new Counter({
    name: `${PREFIX}job_outcomes_total`,
    help: 'Sign jobs handled, by result (completed, failed, already-final, waiting, retry, rejected)',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const stepDuration = new Histogram({
    name: `${PREFIX}step_duration_seconds`,
    help: 'Duration of pipeline steps (fetch, sign, deliver, log, notify, callback, complete), by outcome',
    labelNames: ['step', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  registerQueueGauges(registry, sources, timeout);
  registerTokenGauges(registry, sources);
  return { registry, jobsInFlight, jobOutcomes, stepDuration, text: () => registry.metrics() };
}

/** One queue sample per scrape, shared by the gauges that report it (the registry collects them concurrently). */
function queueSampler(sources: MetricsSources, timeout: number) {
  type Sample = { ok: boolean; depths: QueueDepth[] };
  let last: { at: number; sample: Promise<Sample> } | undefined;
  const take = async (): Promise<Sample> => {
    const { queue, routes } = sources;
    if (!queue || !routes) return { ok: true, depths: [] };
    try {
      const depths: QueueDepth[] = [];
      for (const route of routes())
        depths.push(await withTimeout(`queue depth of ${route}`, timeout, () => queue.depth(route)));
      return { ok: true, depths };
    } catch {
      return { ok: false, depths: [] };
    }
  };
  return (): Promise<Sample> => {
    if (!last || Date.now() - last.at > 500) last = { at: Date.now(), sample: take() };
    return last.sample;
  };
}

function registerQueueGauges(registry: Registry, sources: MetricsSources, timeout: number): void {
  const sample = queueSampler(sources, timeout);
  new Gauge({
    name: `${PREFIX}queue_up`,
    help: '1 when the job queue answered the last scrape',
    registers: [registry],
    async collect() {
      this.set((await sample()).ok ? 1 : 0);
    },
  });
  new Gauge({
    name: `${PREFIX}queue_depth`,
    help: 'Jobs per route: ready (waiting for a worker), delayed (waiting for a retry), parked (given up)',
    labelNames: ['route', 'state'] as const,
    registers: [registry],
    async collect() {
      const { depths } = await sample();
      this.reset();
      for (const d of depths) {
        this.set({ route: d.route, state: 'ready' }, d.ready);
        this.set({ route: d.route, state: 'delayed' }, d.delayed);
        this.set({ route: d.route, state: 'parked' }, d.parked);
      }
    },
  });
  new Gauge({
    name: `${PREFIX}queue_lag_seconds`,
    help: 'Age of the oldest ready job per route (where the queue can tell)',
    labelNames: ['route'] as const,
    registers: [registry],
    async collect() {
      const { depths } = await sample();
      this.reset();
      for (const d of depths) if (d.oldestAgeMs !== undefined) this.set({ route: d.route }, d.oldestAgeMs / 1000);
    },
  });
}

function registerTokenGauges(registry: Registry, sources: MetricsSources): void {
  const flags: [string, string, (t: TokenReport) => boolean][] = [
    ['present', 'token is plugged in and found', (t) => t.present],
    ['usable', 'token is present and logged in: its jobs are consumed', (t) => t.usable],
    ['pin_low', 'a wrong PIN was tried since the last good login (CKF_USER_PIN_COUNT_LOW)', (t) => t.pinLow],
    ['pin_locked', 'user PIN is locked (CKF_USER_PIN_LOCKED)', (t) => t.pinLocked],
  ];
  for (const [flag, help, value] of flags) {
    new Gauge({
      name: `${PREFIX}token_${flag}`,
      help: `1 when the ${help}`,
      labelNames: ['token'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const t of sources.tokens?.() ?? []) this.set({ token: t.label }, value(t) ? 1 : 0);
      },
    });
  }
}
