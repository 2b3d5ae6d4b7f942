/**
 * The consumer wrapper both queue adapters share: how a handler's return or error becomes ack, retry or
 * park. Pure logic on a real handler function; the adapters' tests show the outcomes carried out.
 */
import assert from 'node:assert/strict';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { createLogger } from '../../shared/logger.js';
import { backoffMs } from '../../shared/queue/amqp/amqp-connection.js';
import { InFlight } from '../../shared/queue/in-flight.js';
import type { DeliveredJob, JobHandler } from '../../shared/queue/queue-port.js';
import { assertRoute } from '../../shared/queue/queue-route.js';
import { normalizeRetryPolicy, retryDelayMs, retryTiers, runHandler } from '../../shared/queue/run-handler.js';

const policy = normalizeRetryPolicy({ delaysMs: [100, 200] });
const lines: string[] = [];
const logger = createLogger({ level: 'debug', sink: (line) => lines.push(line) });
const signal = new AbortController().signal;
const delivery = (attempt: number, content = '{"requestId":"r1"}') => ({
  messageId: 'm1',
  route: 'internal',
  content,
  attempt,
  signal,
});
const throwing =
  (err: unknown): JobHandler =>
  async () => {
    throw err;
  };

describe('runHandler (the one consumer wrapper)', () => {
  it('acks when the handler returns, and gives it the decoded job', async () => {
    const got: DeliveredJob[] = [];
    const outcome = await runHandler(async (job) => void got.push(job), delivery(2), policy, logger);
    assert.deepEqual(outcome, { action: 'ack' });
    assert.deepEqual(got, [{ messageId: 'm1', route: 'internal', body: { requestId: 'r1' }, attempt: 2, signal }]);
  });

  it('retries a transient error with the delay of its attempt, then gives up after maxAttempts', async () => {
    const err = new AppError(ErrorCode.TOKEN_ABSENT, 'token SignToken1 is not plugged in');
    assert.deepEqual(await runHandler(throwing(err), delivery(1), policy, logger), {
      action: 'retry',
      delayMs: 100,
      nextAttempt: 2,
      reason: 'token SignToken1 is not plugged in',
    });
    assert.equal(((await runHandler(throwing(err), delivery(2), policy, logger)) as { delayMs: number }).delayMs, 200);
    assert.deepEqual(await runHandler(throwing(err), delivery(3), policy, logger), {
      action: 'park',
      reason: 'gave up after 3 attempts: token SignToken1 is not plugged in',
      attempts: 3,
    });
  });

  it('parks a permanent error at once, whatever the attempt', async () => {
    const err = new AppError(ErrorCode.TOKEN_PIN_INCORRECT, 'the PIN of SignToken1 was rejected');
    assert.deepEqual(await runHandler(throwing(err), delivery(1), policy, logger), {
      action: 'park',
      reason: 'the PIN of SignToken1 was rejected',
      attempts: 1,
    });
  });

  it('treats an unforeseen error (not an AppError) as INTERNAL, which is retried', async () => {
    const outcome = await runHandler(throwing(new TypeError('x is undefined')), delivery(1), policy, logger);
    assert.deepEqual(outcome, { action: 'retry', delayMs: 100, nextAttempt: 2, reason: 'TypeError: x is undefined' });
  });

  it('parks a body that is not JSON without calling the handler', async () => {
    let called = false;
    const handler: JobHandler = async () => {
      called = true;
    };
    const outcome = await runHandler(handler, delivery(1, '{nope'), policy, logger);
    assert.equal(outcome.action, 'park');
    assert.match((outcome as { reason: string }).reason, /^message body is not JSON/);
    assert.equal(called, false);
    assert.ok(lines.some((line) => line.includes('undecodable body') && line.includes('"messageId":"m1"')));
  });
});

describe('retry policy helpers', () => {
  it('repeats the last delay past the end of the list and lists each tier once', () => {
    const p = normalizeRetryPolicy({ delaysMs: [1000, 5000], maxAttempts: 5 });
    assert.deepEqual(
      [1, 2, 3, 4].map((a) => retryDelayMs(p, a)),
      [1000, 5000, 5000, 5000],
    );
    assert.deepEqual(retryTiers(p), [1000, 5000]);
    assert.deepEqual(retryTiers(normalizeRetryPolicy({ delaysMs: [1000, 5000, 30_000], maxAttempts: 2 })), [1000]);
  });

  it('refuses a policy with a non-positive delay or attempt count', () => {
    assert.throws(
      () => normalizeRetryPolicy({ delaysMs: [0] }),
      (e: unknown) => e instanceof AppError && e.code === ErrorCode.INVALID_ARGUMENT,
    );
    assert.throws(() => normalizeRetryPolicy({ delaysMs: [], maxAttempts: 0 }), AppError);
  });
});

describe('queue helpers', () => {
  it('InFlight never runs more than its limit and idle() waits for all', async () => {
    const gate = new InFlight(2);
    let active = 0;
    let most = 0;
    const task = async () => {
      most = Math.max(most, ++active);
      await new Promise((resolve) => setTimeout(resolve, 20));
      active--;
    };
    for (let i = 0; i < 7; i++) void gate.run(task);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await gate.idle();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await gate.idle();
    assert.equal(most, 2);
    assert.equal(active, 0);
  });

  it('reconnect backoff grows from about 100 ms to at most 5 s', () => {
    for (let n = 0; n < 12; n++) {
      const d = backoffMs(n);
      assert.ok(d >= 75 && d <= 5000, `attempt ${n}: ${d} ms`);
    }
    assert.ok(backoffMs(0) <= 125);
    assert.ok(backoffMs(20) >= 3750);
  });

  it('accepts token and internal routes, refuses empty, control characters and reserved names', () => {
    for (const ok of ['internal', 'token:SignToken1', 'token:My Token']) assertRoute(ok);
    for (const bad of ['', 'a\nb', 'parked.x', 'retry.100', 'jobs', 'x'.repeat(201)]) {
      assert.throws(
        () => assertRoute(bad),
        (e: unknown) => e instanceof AppError && e.code === ErrorCode.INVALID_ARGUMENT,
      );
    }
  });
});
