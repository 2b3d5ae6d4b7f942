/**
 * Ordered shutdown on SIGTERM / SIGINT: the first signal runs the caller's shutdown (stop consuming, let
 * the jobs in flight finish, close the queue's channel and connection, close the store, finalize PKCS#11)
 * and exits 0 when it is done; a second signal — an impatient operator, or an orchestrator's grace period
 * running out — exits at once. A shutdown that hangs past `timeoutMs` exits with 1.
 */
import os from 'node:os';
import type { Logger } from '../logger.js';

export interface ShutdownOptions {
  logger: Logger;
  /** The longest the shutdown may take before the process gives up and exits 1. */
  timeoutMs: number;
  /** @default process.exit */
  exit?: (code: number) => void;
  /** @default ['SIGTERM', 'SIGINT'] */
  signals?: NodeJS.Signals[];
}

/** The conventional exit code of a process ended by `signal` (128 + its number). */
function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (os.constants.signals[signal] ?? 15);
}

/** Installs the handlers; `shutdown` runs at most once. */
export function handleShutdownSignals(
  shutdown: (signal: NodeJS.Signals) => Promise<void>,
  options: ShutdownOptions,
): void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let started = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (started) {
      options.logger.warn({ signal }, 'second signal: exiting at once');
      exit(signalExitCode(signal));
      return;
    }
    started = true;
    options.logger.info({ signal, timeoutMs: options.timeoutMs }, 'shutting down: finishing the jobs in flight');
    const timer = setTimeout(() => {
      options.logger.error({ timeoutMs: options.timeoutMs }, 'shutdown took too long: exiting');
      exit(1);
    }, options.timeoutMs);
    timer.unref();
    shutdown(signal).then(
      () => {
        clearTimeout(timer);
        options.logger.info({}, 'shut down cleanly');
        exit(0);
      },
      (error: unknown) => {
        clearTimeout(timer);
        options.logger.error({ error }, 'shutdown failed');
        exit(1);
      },
    );
  };
  for (const signal of options.signals ?? (['SIGTERM', 'SIGINT'] as NodeJS.Signals[])) process.on(signal, onSignal);
}
