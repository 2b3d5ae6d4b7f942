/**
 * The stateless tokens of the Bitrix24 pages: the generic HMAC token (forged, truncated, expired, wrong
 * shape), the Sign dialog's session (bound to portal, user, deal, account; another master key or purpose
 * does not accept it) and the approval link (valid until the deadline, an expired link still names its
 * request so the page can show the outcome).
 */
import assert from 'node:assert/strict';
import { dialogSessions } from '../../activity/b24/dialog-session.js';
import { generateMasterKeyBytes, MasterKey } from '../../shared/crypto/master-key.js';
import { signToken, verifyToken } from '../../shared/crypto/signed-token.js';
import { AppError } from '../../shared/errors.js';
import { approvalToken, approvalUrl, readApprovalToken } from '../../shared/sign-requests/approval-link.js';

const key = () => MasterKey.fromBytes(generateMasterKeyBytes());
const T0 = new Date('2030-01-15T10:00:00Z');

describe('signed tokens', () => {
  it('derives independent, deterministic keys per purpose', () => {
    const master = key();
    assert.deepEqual(master.deriveKey('a'), master.deriveKey('a'));
    assert.notDeepEqual(master.deriveKey('a'), master.deriveKey('b'));
    assert.notDeepEqual(master.deriveKey('a'), key().deriveKey('a'));
  });

  it('accepts its own token and refuses forged, truncated, expired and malformed ones', () => {
    const k = key().deriveKey('test');
    const exp = T0.getTime() / 1000 + 60;
    const token = signToken(k, { exp, x: 1 });
    const ok = verifyToken(k, token, T0.getTime(), () => true);
    assert.deepEqual(ok, { ok: true, claims: { exp, x: 1 } });
    const [body, mac] = token.split('.') as [string, string];
    const tampered = `${Buffer.from(JSON.stringify({ exp, x: 2 })).toString('base64url')}.${mac}`;
    assert.equal(verifyToken(k, tampered, T0.getTime(), () => true).ok, false);
    assert.deepEqual(
      verifyToken(k, `${body}.${mac.slice(1)}`, T0.getTime(), () => true),
      { ok: false, reason: 'malformed' },
    );
    assert.deepEqual(
      verifyToken(key().deriveKey('test'), token, T0.getTime(), () => true),
      {
        ok: false,
        reason: 'forged',
      },
    );
    const late = verifyToken(k, token, T0.getTime() + 61_000, () => true);
    assert.equal(late.ok, false);
    assert.equal(!late.ok && late.reason, 'expired');
    assert.deepEqual(
      verifyToken(k, token, T0.getTime(), () => false),
      { ok: false, reason: 'malformed' },
    );
  });

  it('binds a dialog session to portal, user, deal, account and the PDFs it offered for 30 minutes', () => {
    const master = key();
    const sessions = dialogSessions(master);
    const pdfFiles = ['UF_CRM_CONTRACT:12', 'UF_CRM_ACTS:13'];
    const { token, expiresAt } = sessions.issue(
      { memberId: 'm1', bitrixUserId: 7, dealId: 42, accountId: 'acc', language: 'ru', pdfFiles },
      T0,
    );
    assert.equal(expiresAt.getTime() - T0.getTime(), 30 * 60_000);
    assert.deepEqual(sessions.verify(token, T0), {
      memberId: 'm1',
      bitrixUserId: 7,
      dealId: 42,
      accountId: 'acc',
      language: 'ru',
      pdfFiles,
      expiresAt,
    });
    const refused = (t: string | undefined, at: Date, s = sessions) =>
      assert.throws(
        () => s.verify(t, at),
        (e: unknown) => e instanceof AppError && e.code === 'B24_FORBIDDEN',
      );
    refused(token, new Date(expiresAt.getTime() + 1));
    refused(token, T0, dialogSessions(key()));
    refused(undefined, T0);
    // An approval-link token made with the same master key is not a dialog session.
    refused(
      approvalToken(master, { requestId: 'r', accountId: 'acc', expiresAt: new Date(T0.getTime() + 60_000) }),
      T0,
    );
  });

  it('reads an approval link until its deadline, and names the request after it', () => {
    const master = key();
    const deadline = new Date(T0.getTime() + 3_600_000);
    const token = approvalToken(master, { requestId: 'req-1', accountId: 'acc-1', expiresAt: deadline });
    assert.equal(
      approvalUrl('https://sign.example/', token, 'ru'),
      `https://sign.example/b24/approve/${token}?lang=ru`,
    );
    assert.deepEqual(readApprovalToken(master, token, T0), {
      requestId: 'req-1',
      accountId: 'acc-1',
      expiresAt: deadline,
      usable: true,
    });
    assert.equal(readApprovalToken(master, token, new Date(deadline.getTime() + 1000)).usable, false);
    assert.throws(
      () => readApprovalToken(key(), token, T0),
      (e: unknown) => e instanceof AppError && e.code === 'SIGN_REQUEST_NOT_FOUND',
    );
  });
});
