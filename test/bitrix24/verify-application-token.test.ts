/** The application_token comparison and the Bitrix24 part of the configuration. */
import assert from 'node:assert/strict';
import { applicationTokenMatches, hashApplicationToken } from '../../shared/bitrix24/verify-application-token.js';
import { loadConfig } from '../../shared/config.js';
import { AppError, ErrorCode } from '../../shared/errors.js';

describe('application_token comparison', () => {
  it('matches only the stored token, whatever the lengths; nothing stored never matches', () => {
    const token = '51856fefc120afa4b628cc82d3935cce';
    const stored = hashApplicationToken(token);
    assert.match(stored, /^[0-9a-f]{64}$/);
    assert.equal(applicationTokenMatches(stored, token), true);
    for (const wrong of ['', token.slice(0, -1), `${token}0`, token.toUpperCase(), 'x'.repeat(10_000)]) {
      assert.equal(applicationTokenMatches(stored, wrong), false, wrong.slice(0, 20));
    }
    assert.equal(applicationTokenMatches(undefined, token), false);
    assert.equal(applicationTokenMatches('not-a-hash', token), false);
  });
});

describe('configuration: Bitrix24', () => {
  it('keys are optional (both or neither); limits and OAuth hosts have defaults; loopback off unless asked for', () => {
    const dev = loadConfig({ SIGNSERVICE_DATA_DIR: '/tmp/x' });
    assert.equal(dev.bitrix24.app, undefined);
    assert.deepEqual(dev.bitrix24.rateLimit, { perSecond: 2, burst: 50 });
    assert.deepEqual(dev.bitrix24.oauthHosts, ['oauth.bitrix.info', 'oauth.bitrix24.tech']);
    assert.equal(dev.bitrix24.allowLoopback, false, 'off by default, also outside production');
    assert.equal(loadConfig({ NODE_ENV: 'test' }).bitrix24.allowLoopback, false);
    assert.equal(loadConfig({ B24_ALLOW_LOOPBACK: 'true' }).bitrix24.allowLoopback, true);
    const prod = loadConfig({
      NODE_ENV: 'production',
      MONGO_URL: 'mongodb://db/x',
      SIGNSERVICE_MASTER_KEY: Buffer.alloc(32, 1).toString('base64'),
      B24_CLIENT_ID: 'local.abc.123',
      B24_CLIENT_SECRET: 'secret',
      B24_RATE_PER_SECOND: '5',
      B24_RATE_BURST: '250',
      B24_OAUTH_HOSTS: 'oauth.bitrix24.tech',
    });
    assert.deepEqual(prod.bitrix24.app, { clientId: 'local.abc.123', clientSecret: 'secret' });
    assert.deepEqual(prod.bitrix24.rateLimit, { perSecond: 5, burst: 250 });
    assert.deepEqual(prod.bitrix24.oauthHosts, ['oauth.bitrix24.tech']);
    assert.equal(prod.bitrix24.allowLoopback, false);
    assert.throws(
      () => loadConfig({ B24_CLIENT_ID: 'local.abc.123' }),
      (e: unknown) =>
        e instanceof AppError && e.code === ErrorCode.CONFIG_INVALID && /B24_CLIENT_SECRET/.test(e.message),
    );
  });
});
