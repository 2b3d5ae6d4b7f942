/** Which endpoints the client accepts: https, loopback http only when allowed, own-domain REST, allow-listed OAuth. */
import assert from 'node:assert/strict';
import {
  checkClientEndpoint,
  checkPortalUrl,
  checkServerEndpoint,
  DEFAULT_ENDPOINT_POLICY,
  type EndpointPolicy,
  oauthTokenUrl,
} from '../../shared/bitrix24/endpoint-policy.js';
import { ErrorCode } from '../../shared/errors.js';

const LOCAL: EndpointPolicy = { ...DEFAULT_ENDPOINT_POLICY, allowLoopback: true };
const refused = (fn: () => unknown, pattern: RegExp) =>
  assert.throws(
    fn,
    (e: unknown) =>
      (e as { code?: string }).code === ErrorCode.B24_INVALID_PAYLOAD && pattern.test((e as Error).message),
  );

describe('Bitrix24 endpoint policy', () => {
  it('client_endpoint: https on the portal domain; http only for loopback when allowed', () => {
    const p = DEFAULT_ENDPOINT_POLICY;
    assert.equal(
      checkClientEndpoint('https://example.bitrix24.com/rest/', 'example.bitrix24.com', p),
      'https://example.bitrix24.com/rest/',
    );
    assert.equal(
      checkClientEndpoint('https://crm.example.org:8443/rest', 'crm.example.org:8443', p),
      'https://crm.example.org:8443/rest/',
    );
    refused(
      () => checkClientEndpoint('http://example.bitrix24.com/rest/', 'example.bitrix24.com', p),
      /http:\/\/ is not allowed/,
    );
    refused(
      () => checkClientEndpoint('https://evil.example.com/rest/', 'example.bitrix24.com', p),
      /not the portal domain/,
    );
    refused(
      () => checkClientEndpoint('https://u:p@example.bitrix24.com/rest/', 'example.bitrix24.com', p),
      /credentials/,
    );
    refused(() => checkClientEndpoint('ftp://example.bitrix24.com/rest/', 'example.bitrix24.com', p), /ftp/);
    refused(() => checkClientEndpoint('not a url', 'x', p), /absolute URL/);
    refused(
      () => checkClientEndpoint('http://127.0.0.1:5000/portal/rest/', 'portal.test', p),
      /loopback host 127\.0\.0\.1 is not allowed/,
    );
    assert.equal(
      checkClientEndpoint('http://127.0.0.1:5000/portal.test/rest/', 'portal.test', LOCAL),
      'http://127.0.0.1:5000/portal.test/rest/',
    );
    assert.equal(checkClientEndpoint('http://[::1]:5000/rest/', 'p', LOCAL), 'http://[::1]:5000/rest/');
    refused(() => checkClientEndpoint('http://10.0.0.5/rest/', '10.0.0.5', LOCAL), /http:\/\/ is not allowed/);
  });

  it('server_endpoint: only allow-listed OAuth servers (the client secret goes there)', () => {
    assert.equal(
      checkServerEndpoint('https://oauth.bitrix.info/rest/', DEFAULT_ENDPOINT_POLICY),
      'https://oauth.bitrix.info/rest/',
    );
    assert.equal(
      checkServerEndpoint('https://OAUTH.bitrix24.tech/rest/', DEFAULT_ENDPOINT_POLICY),
      'https://oauth.bitrix24.tech/rest/',
    );
    refused(
      () => checkServerEndpoint('https://oauth.evil.example/rest/', DEFAULT_ENDPOINT_POLICY),
      /not a Bitrix24 OAuth server/,
    );
    refused(() => checkServerEndpoint('http://127.0.0.1:9/rest/', DEFAULT_ENDPOINT_POLICY), /loopback/);
    assert.equal(checkServerEndpoint('http://127.0.0.1:9/rest/', LOCAL), 'http://127.0.0.1:9/rest/');
    assert.equal(oauthTokenUrl('https://oauth.bitrix.info/rest/').toString(), 'https://oauth.bitrix.info/oauth/token/');
    assert.equal(oauthTokenUrl('http://127.0.0.1:9/rest/').toString(), 'http://127.0.0.1:9/oauth/token/');
  });

  it('download URLs: relative ones resolve to the portal; other hosts and schemes are refused', () => {
    const rest = 'https://example.bitrix24.com/rest/';
    assert.equal(
      checkPortalUrl(
        '/bitrix/components/bitrix/crm.deal.show/show_file.php?fileId=5',
        rest,
        DEFAULT_ENDPOINT_POLICY,
      ).toString(),
      'https://example.bitrix24.com/bitrix/components/bitrix/crm.deal.show/show_file.php?fileId=5',
    );
    refused(
      () => checkPortalUrl('https://example.bitrix24.com.evil.net/x', rest, DEFAULT_ENDPOINT_POLICY),
      /not on the portal/,
    );
    refused(() => checkPortalUrl('http://example.bitrix24.com/x', rest, DEFAULT_ENDPOINT_POLICY), /http:\/\//);
    refused(() => checkPortalUrl('//evil.net/x', rest, DEFAULT_ENDPOINT_POLICY), /not on the portal/);
  });
});
