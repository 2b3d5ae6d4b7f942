/** How REST answers and network errors are classified, and which AppError each becomes. */
import assert from 'node:assert/strict';
import { isReadMethod } from '../../shared/bitrix24/read-methods.js';
import { classifyAnswer, classifyNetworkError, failureToError } from '../../shared/bitrix24/rest-failure.js';
import { ErrorCode, errorOutcome } from '../../shared/errors.js';

const site = (idempotent: boolean) => ({ memberId: 'm1', method: 'crm.item.update', idempotent });

describe('Bitrix24 REST failure classification', () => {
  it('classifies the documented errors (reference §1.6)', () => {
    assert.equal(classifyAnswer(200, { result: true, time: {} }), undefined);
    assert.equal(classifyAnswer(401, { error: 'expired_token' })?.kind, 'expired-token');
    assert.equal(classifyAnswer(401, { error: 'invalid_token' })?.kind, 'expired-token');
    assert.equal(classifyAnswer(401, { error: 'NO_AUTH_FOUND' })?.kind, 'auth-failed');
    assert.equal(classifyAnswer(503, { error: 'QUERY_LIMIT_EXCEEDED' })?.kind, 'rate-limited');
    assert.deepEqual(classifyAnswer(429, { error: 'OPERATION_TIME_LIMIT', time: { operating_reset_at: 1700000000 } }), {
      kind: 'operation-limit',
      code: 'OPERATION_TIME_LIMIT',
      resetAtMs: 1_700_000_000_000,
    });
    assert.equal(classifyAnswer(503, { error: 'OVERLOAD_LIMIT' })?.kind, 'not-run');
    for (const code of ['ACCESS_DENIED', 'insufficient_scope', 'WRONG_AUTH_TYPE', 'user_access_error']) {
      assert.equal(classifyAnswer(403, { error: code })?.kind, 'denied', code);
    }
    assert.equal(classifyAnswer(500, { error: 'INTERNAL_SERVER_ERROR' })?.kind, 'lost');
    assert.equal(classifyAnswer(502, undefined)?.kind, 'lost', 'a proxy page is not an answer');
    assert.equal(classifyAnswer(500, { error: 'PORTAL_DELETED' })?.kind, 'auth-failed');
    assert.equal(classifyAnswer(400, { error: 'ERROR_ARGUMENT', error_description: 'bad id' })?.kind, 'rejected');
    assert.equal(classifyAnswer(200, { error: 'NOT_FOUND' })?.kind, 'rejected');
  });

  it('network errors: refused connections did not run, timeouts and resets may have', () => {
    const fetchError = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: { code } });
    assert.equal(classifyNetworkError(fetchError('ECONNREFUSED')).kind, 'not-run');
    assert.equal(classifyNetworkError(fetchError('ENOTFOUND')).kind, 'not-run');
    assert.equal(classifyNetworkError(fetchError('ECONNRESET')).kind, 'lost');
    assert.equal(classifyNetworkError(new DOMException('timed out', 'TimeoutError')).kind, 'lost');
  });

  it('a lost write is B24_OUTCOME_UNKNOWN, a lost read B24_UNAVAILABLE; denials and auth failures are permanent', () => {
    const lost = { kind: 'lost' as const, reason: 'timed out' };
    assert.equal(failureToError(lost, site(false)).code, ErrorCode.B24_OUTCOME_UNKNOWN);
    assert.equal(failureToError(lost, site(true)).code, ErrorCode.B24_UNAVAILABLE);
    const denied = failureToError(
      { kind: 'denied', code: 'ACCESS_DENIED', description: 'Access denied!' },
      site(false),
    );
    assert.equal(denied.code, ErrorCode.B24_ACCESS_DENIED);
    assert.equal(errorOutcome(denied).transient, false);
    const auth = failureToError({ kind: 'auth-failed', code: 'NO_AUTH_FOUND', description: '' }, site(true));
    assert.equal(errorOutcome(auth).transient, false);
    assert.equal(
      errorOutcome(failureToError({ kind: 'rate-limited', code: 'QUERY_LIMIT_EXCEEDED' }, site(false))).transient,
      true,
    );
  });

  it('knows the reads', () => {
    for (const m of [
      'crm.item.get',
      'crm.item.list',
      'crm.item.fields',
      'user.current',
      'profile',
      'crm.deal.userfield.list',
      'CRM.ITEM.GET.json',
    ]) {
      assert.ok(isReadMethod(m), m);
    }
    for (const m of [
      'bizproc.event.send',
      'crm.item.update',
      'crm.timeline.comment.add',
      'im.notify.system.add',
      'batch',
      'placement.bind',
    ]) {
      assert.ok(!isReadMethod(m), m);
    }
  });
});
