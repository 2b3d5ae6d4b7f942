/**
 * Watches the served tokens: every few seconds each is checked (present, logged in, PIN state). A token
 * that becomes unusable — unplugged, PIN locked or wrong — is reported (log line, /ready, /metrics) and its
 * queue is paused through `onChange`, so its jobs wait in the queue instead of failing in a tight loop; when
 * it comes back its queue is resumed. A wrong PIN is tried at most once per token object (pkcs11-token.ts),
 * so the monitor never locks a token by retrying.
 */
import type { TokenReport } from '../shared/health/token-report.js';
import type { Logger } from '../shared/logger.js';
import type { ServedToken, ServedTokens } from '../shared/signing/served-tokens.js';

export interface TokenMonitor {
  /** The latest report of every token. */
  reports(): TokenReport[];
  /** Checks every token now (also done at start). */
  checkNow(): Promise<void>;
  stop(): void;
}

export interface TokenMonitorOptions {
  tokens: ServedTokens;
  logger: Logger;
  /** Called when a token's usability changes (and once per token at start). */
  onChange: (token: ServedToken, report: TokenReport) => Promise<void>;
  /** @default 5000 */
  intervalMs?: number;
}

async function reportOf(token: ServedToken): Promise<TokenReport> {
  const { usable, health, problem } = await token.check();
  const ok = usable && health.present;
  return {
    label: token.label,
    route: token.route,
    present: health.present,
    usable: ok,
    loggedIn: health.loggedIn,
    pinLow: health.pinLow,
    pinLocked: health.pinLocked,
    ...(ok ? {} : { problem: problem ?? `token "${token.label}" is not present; plug it in` }),
    checkedAt: new Date(),
  };
}

/** Checks every token once, calls `onChange` for each, then keeps checking in the background. */
export async function startTokenMonitor(options: TokenMonitorOptions): Promise<TokenMonitor> {
  const latest = new Map<string, TokenReport>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();

  const checkAll = async () => {
    for (const token of options.tokens.tokens) {
      const report = await reportOf(token);
      const before = latest.get(token.route);
      latest.set(token.route, report);
      if (before?.usable === report.usable) continue;
      // Field names avoid "token" and "pin": the logger redacts those as secrets.
      const fields = {
        device: token.label,
        present: report.present,
        locked: report.pinLocked,
        problem: report.problem,
      };
      if (report.usable) options.logger.info(fields, 'token usable: consuming its jobs');
      else options.logger.warn(fields, 'token unusable: its jobs wait in the queue');
      await options.onChange(token, report);
    }
  };
  const checkNow = () => {
    running = running.then(checkAll, checkAll);
    return running;
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      checkNow()
        .catch((error: unknown) => options.logger.error({ error }, 'token check failed'))
        .finally(schedule);
    }, options.intervalMs ?? 5000);
    timer.unref();
  };

  await checkNow();
  schedule();
  return {
    reports: () => [...latest.values()],
    checkNow,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
