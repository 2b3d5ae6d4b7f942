/** The worker's configuration: SIGNSERVICE_TOKENS and the worker settings, parsed once by loadConfig. */
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../shared/config.js';
import { AppError } from '../../shared/errors.js';

function refused(env: NodeJS.ProcessEnv, message: RegExp): void {
  assert.throws(
    () => loadConfig(env),
    (e: unknown) => e instanceof AppError && e.code === 'CONFIG_INVALID' && message.test(e.message),
  );
}

describe('worker configuration', () => {
  it('defaults: no tokens, port 8081, 4 jobs at once, 100 MiB documents, 60 s shutdown, AMQP prefix', () => {
    const config = loadConfig({ AMQP_URL: 'amqp://localhost' });
    const { byteBudget, ...worker } = config.worker;
    assert.deepEqual(worker, {
      tokens: [],
      port: 8081,
      prefetch: 4,
      maxDocumentBytes: 100 * 1024 * 1024,
      shutdownTimeoutMs: 60_000,
      signing: { tsaUrl: undefined, internalCaLevel: 'B-B', defaultLevel: 'B-B', timeoutMs: 10_000 },
      recoverySweepMs: 60_000,
    });
    // A quarter of the memory the process may use, at least 256 MiB.
    const memory = Math.min(os.totalmem(), process.constrainedMemory?.() || os.totalmem());
    assert.equal(byteBudget, Math.max(256 * 1024 * 1024, Math.floor(memory / 4)));
    assert.equal(config.minFreeDiskBytes, 512 * 1024 * 1024);
    assert.deepEqual(config.queue, { kind: 'amqp', url: 'amqp://localhost', namePrefix: 'signservice' });
  });

  it('parses SIGNSERVICE_TOKENS into absolute module and PIN file paths', () => {
    const tokens = [
      { label: 'SignToken1', module: '/usr/lib/libeToken.so', pinFile: 'secrets/pin1' },
      { serial: '0a1b2c3d', module: '/usr/lib/softhsm/libsofthsm2.so', pinFile: '/run/secrets/pin2' },
    ];
    const config = loadConfig({
      SIGNSERVICE_TOKENS: JSON.stringify(tokens),
      WORKER_PORT: '9091',
      WORKER_PREFETCH: '2',
      SIGNSERVICE_MAX_PDF_MB: '5',
      SHUTDOWN_TIMEOUT_SECONDS: '10',
      WORKER_BYTE_BUDGET_MB: '256',
      RECOVERY_SWEEP_SECONDS: '5',
      MIN_FREE_DISK_MB: '0',
    });
    assert.deepEqual(config.worker, {
      tokens: [
        { label: 'SignToken1', modulePath: '/usr/lib/libeToken.so', pinFile: path.resolve('secrets/pin1') },
        { serial: '0a1b2c3d', modulePath: '/usr/lib/softhsm/libsofthsm2.so', pinFile: '/run/secrets/pin2' },
      ],
      port: 9091,
      prefetch: 2,
      maxDocumentBytes: 5 * 1024 * 1024,
      shutdownTimeoutMs: 10_000,
      signing: { tsaUrl: undefined, internalCaLevel: 'B-B', defaultLevel: 'B-B', timeoutMs: 10_000 },
      byteBudget: 256 * 1024 * 1024,
      recoverySweepMs: 5000,
    });
    assert.equal(config.minFreeDiskBytes, 0);
  });

  it('takes a PAdES level per certificate source, and refuses levels above B-B without TSA_URL', () => {
    const tokens = [
      { label: 'Archive', module: '/m.so', pinFile: '/p', level: 'B-LTA' },
      { label: 'Plain', module: '/m.so', pinFile: '/p' },
    ];
    const config = loadConfig({
      SIGNSERVICE_TOKENS: JSON.stringify(tokens),
      TSA_URL: 'http://tsa.example/tsr',
      INTERNAL_CA_SIGNATURE_LEVEL: 'B-LT',
      VALIDATION_TIMEOUT_SECONDS: '5',
    });
    assert.equal(config.worker.tokens[0]!.level, 'B-LTA');
    assert.equal(config.worker.tokens[1]!.level, undefined);
    assert.deepEqual(config.worker.signing, {
      tsaUrl: 'http://tsa.example/tsr',
      internalCaLevel: 'B-LT',
      defaultLevel: 'B-T',
      timeoutMs: 5000,
    });
    refused({ INTERNAL_CA_SIGNATURE_LEVEL: 'B-LT' }, /TSA_URL is required for INTERNAL_CA_SIGNATURE_LEVEL=B-LT/);
    refused({ SIGNSERVICE_TOKENS: JSON.stringify(tokens) }, /TSA_URL is required for token Archive level B-LTA/);
    refused({ INTERNAL_CA_SIGNATURE_LEVEL: 'B-X' }, /INTERNAL_CA_SIGNATURE_LEVEL/);
    refused({ SIGNSERVICE_TOKENS: '[{"label":"x","module":"/m.so","pinFile":"/p","level":"LTV"}]' }, /level/);
  });

  it('refuses malformed token lists with a message that names the problem and never a PIN', () => {
    refused({ SIGNSERVICE_TOKENS: 'SignToken1' }, /SIGNSERVICE_TOKENS: not JSON/);
    refused({ SIGNSERVICE_TOKENS: '{"label":"x"}' }, /SIGNSERVICE_TOKENS/);
    refused({ SIGNSERVICE_TOKENS: '[{"module":"/m.so","pinFile":"/p"}]' }, /name the token by label or serial/);
    refused({ SIGNSERVICE_TOKENS: '[{"label":"x","pinFile":"/p"}]' }, /SIGNSERVICE_TOKENS\.0\.module/);
    try {
      loadConfig({ SIGNSERVICE_TOKENS: '[{"label":"x","module":"/m.so","pinFile":"/p","pin":"4711-secret"}]' });
      assert.fail('a PIN in the environment must be refused');
    } catch (error) {
      assert.ok(error instanceof AppError);
      assert.match(error.message, /Unrecognized key: "pin"/);
      assert.equal(error.message.includes('4711-secret'), false);
    }
    refused({ AMQP_URL: 'amqp://x', AMQP_PREFIX: 'bad prefix' }, /AMQP_PREFIX/);
    refused({ WORKER_PREFETCH: '0' }, /WORKER_PREFETCH/);
  });
});
