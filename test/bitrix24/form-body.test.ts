/** The PHP bracket-key form parser: Bitrix24's shapes, PHP's edge cases, the limits, prototype pollution. */
import assert from 'node:assert/strict';
import { buildQuery } from '../../shared/bitrix24/build-query.js';
import { parseFormBody } from '../../shared/bitrix24/form-body.js';
import { ErrorCode } from '../../shared/errors.js';
import { buildPhpQuery } from '../support/bitrix24-emulator/index.js';

function refuses(body: string, pattern: RegExp, limits = {}): void {
  assert.throws(
    () => parseFormBody(body, limits),
    (e: unknown) => (e as { code?: string }).code === ErrorCode.INVALID_ARGUMENT && pattern.test((e as Error).message),
  );
}

describe('parseFormBody (PHP bracket keys)', () => {
  it('decodes the robot call of reference §3 as it goes over the wire', () => {
    const wire =
      'workflow_id=68c2a9f1e2b3c4.12345678&code=approve_sign_pdf' +
      '&document_id%5B0%5D=crm&document_id%5B1%5D=CCrmDocumentDeal&document_id%5B2%5D=DEAL_1234' +
      '&event_token=68c2a9f1e2b3c4.12345678%7CA38120_51203_49871_11029%7Chsy.47dd' +
      '&properties%5Bsigner%5D=user_15&properties%5Bmessage%5D=Please+sign+the+contract' +
      '&properties%5Bwatchers%5D%5B0%5D=user_1&properties%5Bwatchers%5D%5B1%5D=user_2&properties%5Bnote%5D=' +
      '&auth%5Bmember_id%5D=a223c6b3&auth%5Bclient_endpoint%5D=https%3A%2F%2Fexample.bitrix24.com%2Frest%2F';
    assert.deepEqual(parseFormBody(Buffer.from(wire)), {
      workflow_id: '68c2a9f1e2b3c4.12345678',
      code: 'approve_sign_pdf',
      document_id: ['crm', 'CCrmDocumentDeal', 'DEAL_1234'],
      event_token: '68c2a9f1e2b3c4.12345678|A38120_51203_49871_11029|hsy.47dd',
      properties: { signer: 'user_15', message: 'Please sign the contract', watchers: ['user_1', 'user_2'], note: '' },
      auth: { member_id: 'a223c6b3', client_endpoint: 'https://example.bitrix24.com/rest/' },
    });
  });

  it('follows PHP: a[] appends, the last value wins, unnamed pairs are dropped, unclosed brackets end the key', () => {
    assert.deepEqual(parseFormBody('a[]=x&a[]=y&a[5]=z&a[]=w'), { a: { 0: 'x', 1: 'y', 5: 'z', 6: 'w' } });
    assert.deepEqual(parseFormBody('k=1&k=2&=3&[x]=4&flag'), { k: '2', flag: '' });
    assert.deepEqual(parseFormBody('a=1&a[b]=2'), { a: { b: '2' } });
    assert.deepEqual(parseFormBody('a[b]=2&a=1'), { a: '1' });
    assert.deepEqual(parseFormBody('a[b=1&c[d]x=2'), { a: '1', c: { d: '2' } });
    assert.deepEqual(parseFormBody('0=a&1=b'), { 0: 'a', 1: 'b' }, 'the top level stays an object');
    assert.deepEqual(parseFormBody('name=%D0%94%D0%BE%D0%B3%D0%BE%D0%B2%D0%BE%D1%80+%E2%84%965'), {
      name: 'Договор №5',
    });
  });

  it('round-trips what buildQuery and the emulator (PHP http_build_query) produce', () => {
    const value = {
      halt: '0',
      cmd: { a: 'crm.item.get?entityTypeId=2&id=5', b: 'user.get?FILTER[EMAIL]=x@y.z' },
      list: ['1', '2', '3'],
      nested: { deep: { deeper: ['x', 'y'] } },
    };
    assert.deepEqual(parseFormBody(buildQuery(value)), value);
    assert.deepEqual(parseFormBody(buildPhpQuery(value)), value);
    assert.equal(
      buildQuery({ t: true, f: false, n: null, u: undefined, d: new Date(0) }),
      't=1&f=0&d=1970-01-01T00%3A00%3A00.000Z',
    );
  });

  it('refuses names that reach a prototype, and the result has no polluted prototype', () => {
    for (const body of [
      '__proto__[admin]=1',
      'a[__proto__][admin]=1',
      'a[constructor][prototype][admin]=1',
      '__proto__=x',
      'a%5B__proto__%5D=1',
    ]) {
      refuses(body, /not allowed/);
    }
    const parsed = parseFormBody('toString=1&hasOwnProperty=2');
    assert.equal(parsed.toString, '1');
    assert.equal(({} as Record<string, unknown>).admin, undefined);
  });

  it('enforces the body, field count, depth and name length limits, and refuses broken encoding', () => {
    refuses(`a=${'x'.repeat(100)}`, /larger than 64 bytes/, { maxBytes: 64 });
    refuses(Array.from({ length: 11 }, (_, i) => `k${i}=1`).join('&'), /more than 10 fields/, { maxPairs: 10 });
    refuses('a[1][2][3][4][5][6]=x', /deeper than 5 levels/);
    assert.deepEqual(parseFormBody('a[1][2][3][4][5]=x'), { a: { 1: { 2: { 3: { 4: { 5: 'x' } } } } } });
    refuses(`${'k'.repeat(257)}=1`, /longer than 256/);
    refuses('a=%E0%A4%A', /percent-encoding/);
    assert.deepEqual(parseFormBody(''), {});
  });

  it('parses a large legitimate body quickly (no quadratic blow-up within the limits)', () => {
    const body = Array.from({ length: 1000 }, (_, i) => `p[]=${i}`).join('&');
    const started = process.hrtime.bigint();
    const parsed = parseFormBody(body);
    assert.equal((parsed.p as string[]).length, 1000);
    assert.ok(Number(process.hrtime.bigint() - started) / 1e6 < 500);
  });
});
