/** The sign log's settings as `loadConfig` parses them: defaults, an empty TSA URL, refused values. */
import assert from 'node:assert/strict';
import { loadConfig } from '../../shared/config.js';
import { AppError } from '../../shared/errors.js';

describe('configuration: sign log checkpoints', () => {
  const base = { SIGNSERVICE_DATA_DIR: '/tmp/signservice-config-test', MONGO_URL: '' };

  it('defaults: every 100 entries or 10 minutes, no timestamp authority (an empty value is none)', () => {
    assert.deepEqual(loadConfig(base).signLog, {
      checkpointEveryEntries: 100,
      checkpointEveryMs: 600_000,
      tsaUrl: undefined,
    });
    assert.equal(loadConfig({ ...base, SIGN_LOG_TSA_URL: '  ' }).signLog.tsaUrl, undefined);
  });

  it('takes other values', () => {
    const config = loadConfig({
      ...base,
      SIGN_LOG_CHECKPOINT_ENTRIES: '20',
      SIGN_LOG_CHECKPOINT_MINUTES: '2',
      SIGN_LOG_TSA_URL: 'https://tsa.example/tsr',
    });
    assert.deepEqual(config.signLog, {
      checkpointEveryEntries: 20,
      checkpointEveryMs: 120_000,
      tsaUrl: 'https://tsa.example/tsr',
    });
  });

  it('refuses a TSA URL that is not http(s), and intervals that are not positive integers', () => {
    for (const [name, value] of [
      ['SIGN_LOG_TSA_URL', 'ftp://tsa.example/'],
      ['SIGN_LOG_TSA_URL', 'not a url'],
      ['SIGN_LOG_CHECKPOINT_ENTRIES', '0'],
      ['SIGN_LOG_CHECKPOINT_MINUTES', '1.5'],
    ]) {
      assert.throws(
        () => loadConfig({ ...base, [name as string]: value }),
        (e: unknown) => e instanceof AppError && e.code === 'CONFIG_INVALID' && e.message.includes(name as string),
        `${name}=${value}`,
      );
    }
  });
});
