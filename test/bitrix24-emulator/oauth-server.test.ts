/**
 * The emulator's OAuth server over raw HTTP: the authorization-code grant (also through the portal's
 * /oauth/authorize/ redirect), the documented token fields, refresh rotation (the old refresh token answers
 * invalid_grant), invalid_client, and what REST answers for missing, unknown and expired access tokens.
 */
import assert from 'node:assert/strict';
import { type PortalEmulator, startPortalEmulator } from '../support/bitrix24-emulator/index.js';
import { callJson, getJson, resultOf } from './raw-http.js';

const TOKEN_FIELDS = [
  'access_token',
  'client_endpoint',
  'domain',
  'expires',
  'expires_in',
  'member_id',
  'refresh_token',
  'scope',
  'server_endpoint',
  'status',
  'user_id',
];

describe('Bitrix24 emulator: OAuth server', () => {
  let emulator: PortalEmulator;
  let clock = Date.UTC(2026, 7, 21, 12, 0, 0);

  before(async () => {
    emulator = await startPortalEmulator({
      now: () => clock,
      portals: [{ domain: 'portal-a.bitrix24.test', redirectUri: 'https://app.example.test/oauth/callback' }],
    });
  });
  after(() => emulator.close());

  function tokenUrl(params: Record<string, string>): string {
    return `${emulator.tokenEndpoint}?${new URLSearchParams(params)}`;
  }

  it('exchanges an authorization code for the documented token fields, once', async () => {
    const portal = emulator.portal('portal-a.bitrix24.test');
    const code = portal.authorizationCode(1);
    const query = {
      grant_type: 'authorization_code',
      client_id: portal.clientId,
      client_secret: portal.clientSecret,
      code,
    };
    const { status, body } = await getJson(tokenUrl(query));
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(Object.keys(body).sort(), TOKEN_FIELDS);
    assert.equal(body.client_endpoint, portal.clientEndpoint);
    assert.equal(body.server_endpoint, `${emulator.origin}/rest/`);
    assert.equal(body.domain, new URL(emulator.origin).host, 'domain is the OAuth server, not the portal');
    assert.equal(body.member_id, portal.memberId);
    assert.equal(body.expires_in, 3600);
    assert.equal(body.expires, Math.floor(clock / 1000) + 3600);
    assert.equal(body.user_id, 1);
    assert.equal(body.status, 'L');
    assert.equal(body.scope, 'crm,bizproc,placement,user_basic,im,disk');
    const again = await getJson(tokenUrl(query));
    assert.equal(again.status, 400);
    assert.equal(again.body.error, 'invalid_grant');
  });

  it('redirects /oauth/authorize/ to the redirect_uri with code, state, domain, member_id, scope, server_domain', async () => {
    const portal = emulator.portal('portal-a.bitrix24.test');
    const response = await fetch(`${portal.baseUrl}/oauth/authorize/?client_id=${portal.clientId}&state=xyz`, {
      redirect: 'manual',
    });
    assert.equal(response.status, 302);
    const location = new URL(response.headers.get('location') as string);
    assert.equal(location.origin + location.pathname, 'https://app.example.test/oauth/callback');
    assert.equal(location.searchParams.get('state'), 'xyz');
    assert.equal(location.searchParams.get('domain'), portal.domain);
    assert.equal(location.searchParams.get('member_id'), portal.memberId);
    assert.equal(location.searchParams.get('server_domain'), new URL(emulator.origin).host);
    const code = location.searchParams.get('code') as string;
    const { status } = await getJson(
      tokenUrl({
        grant_type: 'authorization_code',
        client_id: portal.clientId,
        client_secret: portal.clientSecret,
        code,
      }),
    );
    assert.equal(status, 200);
  });

  it('rotates the refresh token: the new pair works, the old refresh token answers invalid_grant', async () => {
    const portal = emulator.portal('portal-a.bitrix24.test');
    const first = portal.issueTokens(1);
    const refresh = (token: string) =>
      getJson(
        tokenUrl({
          grant_type: 'refresh_token',
          client_id: portal.clientId,
          client_secret: portal.clientSecret,
          refresh_token: token,
        }),
      );
    const second = await refresh(first.refreshToken);
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.notEqual(second.body.refresh_token, first.refreshToken);
    assert.notEqual(second.body.access_token, first.accessToken);
    const reused = await refresh(first.refreshToken);
    assert.equal(reused.status, 400);
    assert.deepEqual(Object.keys(reused.body).sort(), ['error', 'error_description']);
    assert.equal(reused.body.error, 'invalid_grant');
    const third = await refresh(second.body.refresh_token as string);
    assert.equal(third.status, 200);
    const profile = await callJson(portal.clientEndpoint, 'profile', { auth: third.body.access_token });
    assert.equal((resultOf(profile) as { ID: string }).ID, '1');
  });

  it('accepts the refresh as a form POST (how b24jssdk sends it) and refuses a wrong secret with invalid_client', async () => {
    const portal = emulator.portal('portal-a.bitrix24.test');
    const grant = portal.issueTokens(1);
    const post = (secret: string) =>
      fetch(emulator.tokenEndpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          client_id: portal.clientId,
          client_secret: secret,
          refresh_token: grant.refreshToken,
        }),
      });
    const wrong = await post('not-the-secret');
    assert.equal(wrong.status, 400);
    assert.equal(((await wrong.json()) as { error: string }).error, 'invalid_client');
    const right = await post(portal.clientSecret);
    assert.equal(right.status, 200);
    // The secret never lands in the request log.
    assert.ok(emulator.requests().every((entry) => entry.params.client_secret !== portal.clientSecret));
  });

  it('answers REST calls with 401 NO_AUTH_FOUND, invalid_token and expired_token as the token requires', async () => {
    const portal = emulator.portal('portal-a.bitrix24.test');
    const none = await callJson(portal.clientEndpoint, 'profile', {});
    assert.equal(none.status, 401);
    assert.equal(none.body.error, 'NO_AUTH_FOUND');
    const unknown = await callJson(portal.clientEndpoint, 'profile', { auth: 'f'.repeat(64) });
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body.error, 'invalid_token');
    const grant = portal.issueTokens(1);
    clock += 3600 * 1000;
    const expired = await callJson(portal.clientEndpoint, 'profile', { auth: grant.accessToken });
    assert.equal(expired.status, 401);
    assert.deepEqual(expired.body, {
      error: 'expired_token',
      error_description: 'The access token provided has expired',
    });
    const renewed = await getJson(
      tokenUrl({
        grant_type: 'refresh_token',
        client_id: portal.clientId,
        client_secret: portal.clientSecret,
        refresh_token: grant.refreshToken,
      }),
    );
    assert.equal(renewed.status, 200, 'the refresh token outlives the access token');
  });

  it('force-expires every access token of a portal and serves the server-side app.info', async () => {
    const portal = emulator.portal('portal-a.bitrix24.test');
    const grant = portal.issueTokens(1);
    const info = await getJson(`${emulator.serverEndpoint}app.info?auth=${grant.accessToken}`);
    const install = (resultOf(info) as { install: Record<string, unknown> }).install;
    assert.equal(install.member_id, portal.memberId);
    assert.equal(install.domain, portal.domain);
    portal.forceExpireTokens();
    const after = await callJson(portal.clientEndpoint, 'profile', { auth: grant.accessToken });
    assert.equal(after.body.error, 'expired_token');
  });
});
