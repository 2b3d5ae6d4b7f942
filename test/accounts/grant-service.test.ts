/** Certificate grants against the real embedded store, and the "usable right now" check. */
import assert from 'node:assert/strict';
import { createAccountService } from '../../shared/accounts/account-service.js';
import {
  type CertificateValidity,
  createGrantService,
  type GrantService,
} from '../../shared/accounts/grant-service.js';
import type { Account } from '../../shared/domain/account.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { createOtpFixture, type OtpFixture, T0 } from '../support/otp-fixture.js';

const DAY = 86_400_000;

function hasCode(code: string) {
  return (error: unknown) => {
    assert.ok(error instanceof AppError, `expected an AppError, got ${error}`);
    assert.equal(error.code, code, error.message);
    return true;
  };
}

describe('grant service (embedded store)', () => {
  let fx: OtpFixture;
  let grants: GrantService;
  let mary: Account;
  let john: Account;
  beforeEach(async () => {
    fx = await createOtpFixture();
    grants = createGrantService({ store: fx.store, now: fx.now });
    const accounts = createAccountService({ store: fx.store, now: fx.now });
    mary = await accounts.add({ login: 'mary' });
    john = await accounts.add({ login: 'john' });
  });
  afterEach(() => fx.close());

  it('grants several certificates with exactly one default; the first is the default', async () => {
    await grants.grant({ account: mary, certId: 'aaaa' });
    fx.advance(1000);
    await grants.grant({ account: mary, certId: 'bbbb' });
    fx.advance(1000);
    await grants.grant({ account: mary, certId: 'cccc', isDefault: true, actor: { role: 'cli' } });
    const list = await grants.list(mary);
    assert.deepEqual(
      list.map((g) => [g.certId, g.isDefault]),
      [
        ['cccc', true],
        ['aaaa', false],
        ['bbbb', false],
      ],
    );
    // Granting again keeps the grant time and the default unless asked.
    await grants.grant({ account: mary, certId: 'cccc' });
    assert.equal((await grants.list(mary))[0]?.isDefault, true);
    const logged = (await fx.signLog()).filter((e) => e.action === 'granted');
    assert.deepEqual(logged[2]?.details, { account: 'mary', accountId: mary.id, certId: 'cccc', isDefault: true });
  });

  it('grants one certificate to several accounts', async () => {
    await grants.grant({ account: mary, certId: 'shared' });
    await grants.grant({ account: john, certId: 'shared' });
    assert.deepEqual(
      (await fx.store.grants.listForCertificate('shared')).map((g) => g.accountId).sort(),
      [mary.id, john.id].sort(),
    );
  });

  it('revokes; revoking the default promotes the oldest remaining grant', async () => {
    await grants.grant({ account: mary, certId: 'aaaa' });
    fx.advance(1000);
    await grants.grant({ account: mary, certId: 'bbbb' });
    fx.advance(1000);
    await grants.grant({ account: mary, certId: 'cccc' });
    await grants.revoke({ account: mary, certId: 'aaaa' });
    assert.deepEqual(
      (await grants.list(mary)).map((g) => [g.certId, g.isDefault]),
      [
        ['bbbb', true],
        ['cccc', false],
      ],
    );
    await assert.rejects(grants.revoke({ account: mary, certId: 'aaaa' }), hasCode(ErrorCode.GRANT_MISSING));
    assert.ok((await fx.signLog()).some((e) => e.action === 'revoked' && e.details?.certId === 'aaaa'));
  });

  it('refuses ids that cannot be certificate ids', async () => {
    await assert.rejects(grants.grant({ account: mary, certId: 'has space' }), hasCode(ErrorCode.INVALID_ARGUMENT));
    await assert.rejects(grants.grant({ account: mary, certId: '' }), hasCode(ErrorCode.INVALID_ARGUMENT));
  });

  it('lets only granted, currently valid certificates be used', async () => {
    const inventory = new Map<string, CertificateValidity>([
      ['good', { notBefore: new Date(T0.getTime() - DAY), notAfter: new Date(T0.getTime() + DAY) }],
      ['expired', { notBefore: new Date(T0.getTime() - 2 * DAY), notAfter: new Date(T0.getTime() - DAY) }],
      ['future', { notBefore: new Date(T0.getTime() + DAY), notAfter: new Date(T0.getTime() + 2 * DAY) }],
      ['revoked', { notBefore: new Date(T0.getTime() - DAY), notAfter: new Date(T0.getTime() + DAY), revoked: true }],
    ]);
    const lookup = async (id: string) => inventory.get(id);
    for (const id of ['good', 'expired', 'future', 'revoked', 'gone'])
      await grants.grant({ account: mary, certId: id });
    assert.equal((await grants.assertCertificateUsable(mary, 'good', lookup)).certId, 'good');
    await assert.rejects(grants.assertCertificateUsable(john, 'good', lookup), hasCode(ErrorCode.GRANT_MISSING));
    await assert.rejects(grants.assertCertificateUsable(mary, 'expired', lookup), hasCode(ErrorCode.CERT_EXPIRED));
    await assert.rejects(grants.assertCertificateUsable(mary, 'future', lookup), hasCode(ErrorCode.CERT_NOT_YET_VALID));
    await assert.rejects(grants.assertCertificateUsable(mary, 'revoked', lookup), hasCode(ErrorCode.CERT_REVOKED));
    await assert.rejects(grants.assertCertificateUsable(mary, 'gone', lookup), hasCode(ErrorCode.CERT_UNKNOWN));
    // Validity is judged at the injected "now": two days later the good one has expired too.
    fx.advance(2 * DAY);
    await assert.rejects(grants.assertCertificateUsable(mary, 'good', lookup), hasCode(ErrorCode.CERT_EXPIRED));
  });
});
