/**
 * The shutdown signal handling on a real signal (SIGUSR2 stands in for SIGTERM so the test runner lives):
 * the first signal runs the shutdown once and exits 0 after it; a second one exits at once with 128 + the
 * signal number; a shutdown that hangs past its timeout exits 1.
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../../shared/logger.js';
import { handleShutdownSignals } from '../../shared/process/graceful-shutdown.js';

const SIGNAL: NodeJS.Signals = 'SIGUSR2';

describe('graceful shutdown on signals', () => {
  const installed: ((...args: unknown[]) => void)[] = [];
  const install = (shutdown: () => Promise<void>, exits: number[], timeoutMs = 5_000) => {
    const before = new Set(process.listeners(SIGNAL));
    handleShutdownSignals(shutdown, {
      logger: silentLogger,
      timeoutMs,
      exit: (code) => void exits.push(code),
      signals: [SIGNAL],
    });
    for (const l of process.listeners(SIGNAL)) if (!before.has(l)) installed.push(l as (...args: unknown[]) => void);
  };
  afterEach(() => {
    for (const l of installed.splice(0)) process.off(SIGNAL, l);
  });

  it('first signal: shutdown runs once, then exit 0; a second signal meanwhile exits at once', async () => {
    const exits: number[] = [];
    let runs = 0;
    let finish: () => void = () => {};
    install(() => {
      runs++;
      return new Promise<void>((resolve) => {
        finish = resolve;
      });
    }, exits);
    process.kill(process.pid, SIGNAL);
    await sleep(50);
    assert.equal(runs, 1);
    assert.deepEqual(exits, [], 'still finishing the work in flight');
    process.kill(process.pid, SIGNAL);
    await sleep(50);
    assert.deepEqual(exits, [128 + os.constants.signals[SIGNAL]], 'the second signal exits at once');
    assert.equal(runs, 1, 'the shutdown is not started twice');
    finish();
    await sleep(20);
    assert.deepEqual(exits.slice(1), [0]);
  });

  it('a shutdown that hangs past its timeout exits 1; one that fails exits 1', async () => {
    const hung: number[] = [];
    install(() => new Promise<void>(() => {}), hung, 100);
    process.kill(process.pid, SIGNAL);
    await sleep(300);
    assert.deepEqual(hung, [1]);
    for (const l of installed.splice(0)) process.off(SIGNAL, l);
    const failed: number[] = [];
    install(() => Promise.reject(new Error('store close failed')), failed);
    process.kill(process.pid, SIGNAL);
    await sleep(50);
    assert.deepEqual(failed, [1]);
  });
});
