/**
 * Fault injection for REST calls: a seeded random plan (deterministic: the same seed and the same sequence of
 * calls give the same faults) and one-shot faults for the next call of a method. The router asks `pick()` once
 * per REST request after the rate limiter; the kinds mirror what a client meets in the cloud [bitrix24.md §1.6].
 */

/**
 * - `expired_token`: the presented access token is expired for real and the call answers 401 `expired_token`.
 * - `query_limit`: 503 `QUERY_LIMIT_EXCEEDED`.
 * - `operation_time_limit`: 429 `OPERATION_TIME_LIMIT`.
 * - `5xx`: 500 `INTERNAL_SERVER_ERROR`.
 * - `timeout`: the response is held longer than a client waits, then the socket is dropped; the call is NOT run.
 * - `timeout_after_execute`: the call runs (state changes), then the response is held and dropped.
 */
export type FaultKind =
  | 'expired_token'
  | 'query_limit'
  | 'operation_time_limit'
  | '5xx'
  | 'timeout'
  | 'timeout_after_execute';

/** A random fault plan. */
export interface FaultPlan {
  /** Only this portal domain; all portals when absent. */
  portal?: string;
  /** Probability 0..1 that a matching call gets a fault. */
  rate: number;
  /** Kinds to choose from, uniformly. */
  kinds: FaultKind[];
  /** PRNG seed; the same seed replays the same faults. */
  seed: number;
  /** Only these REST methods (lower-case names); all methods when absent. */
  methods?: string[];
}

/** One injected fault, for assertions. */
export interface InjectedFault {
  at: number;
  portal: string;
  method: string;
  kind: FaultKind;
  source: 'plan' | 'one-shot';
}

interface ActivePlan {
  plan: FaultPlan;
  random: () => number;
}

interface OneShot {
  portal: string | undefined;
  method: string;
  kind: FaultKind;
  /** Only a call whose decoded parameters pass (e.g. a `batch` carrying a given command). */
  when: ((params: Record<string, unknown>) => boolean) | undefined;
}

/** Holds the plans and one-shots of an emulator. */
export class FaultInjector {
  readonly #plans = new Map<string, ActivePlan>();
  readonly #oneShots: OneShot[] = [];
  readonly #injected: InjectedFault[] = [];

  constructor(private readonly now: () => number) {}

  /** Installs a random plan; it replaces an earlier plan for the same portal (or for "all portals"). */
  set(plan: FaultPlan): void {
    if (!(plan.rate >= 0 && plan.rate <= 1)) throw new Error(`fault rate must be within 0..1, got ${plan.rate}`);
    if (plan.kinds.length === 0) throw new Error('a fault plan needs at least one kind');
    this.#plans.set(plan.portal ?? '*', { plan: { ...plan }, random: mulberry32(plan.seed) });
  }

  /** The next call of `method` (on `portal`, or any portal; whose parameters pass `when`) gets `kind`, once. */
  nextCall(
    method: string,
    kind: FaultKind,
    options: { portal?: string; when?: (params: Record<string, unknown>) => boolean } = {},
  ): void {
    this.#oneShots.push({ portal: options.portal, method: method.toLowerCase(), kind, when: options.when });
  }

  /** Removes plans and pending one-shots (of one portal, or all). */
  clear(portal?: string): void {
    if (portal === undefined) {
      this.#plans.clear();
      this.#oneShots.length = 0;
      return;
    }
    this.#plans.delete(portal);
    for (let i = this.#oneShots.length - 1; i >= 0; i--) {
      if (this.#oneShots[i]?.portal === portal) this.#oneShots.splice(i, 1);
    }
  }

  /** Faults injected so far, oldest first. */
  injected(): InjectedFault[] {
    return [...this.#injected];
  }

  /** Decides the fault for one call; undefined means serve it normally. */
  pick(portal: string, method: string, params: Record<string, unknown> = {}): FaultKind | undefined {
    const shot = this.#oneShots.findIndex(
      (entry) =>
        entry.method === method &&
        (entry.portal === undefined || entry.portal === portal) &&
        (entry.when === undefined || entry.when(params)),
    );
    if (shot >= 0) {
      const [entry] = this.#oneShots.splice(shot, 1);
      return this.#record(portal, method, (entry as OneShot).kind, 'one-shot');
    }
    const active = this.#plans.get(portal) ?? this.#plans.get('*');
    if (active === undefined) return undefined;
    const { plan, random } = active;
    if (plan.methods !== undefined && !plan.methods.includes(method)) return undefined;
    if (random() >= plan.rate) return undefined;
    const kind = plan.kinds[Math.floor(random() * plan.kinds.length)] as FaultKind;
    return this.#record(portal, method, kind, 'plan');
  }

  #record(portal: string, method: string, kind: FaultKind, source: InjectedFault['source']): FaultKind {
    this.#injected.push({ at: this.now(), portal, method, kind, source });
    return kind;
  }
}

/** Mulberry32: a tiny seeded PRNG, good enough to make fault patterns repeatable. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
