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

/** The full inventory id (64 hex digits) of a short test id. */
const full = (id: string) => `${id}${'0'.repeat(64 - id.length)}`;
/** The certificate inventory grants are checked against (only the ids matter to grants). */
const INVENTORY = ['aaaa1111', 'bbbb2222', 'cccc3333', '5ba7ed00', 'a00d', 'e0b1', 'f070', 'de0c', '90e0'].map(
  (id) => ({
    id: full(id),
  }),
);

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
    await grants.grant({ account: mary, certId: 'aaaa1111', inventory: INVENTORY });
    fx.advance(1000);
    await grants.grant({ account: mary, certId: 'bbbb2222', inventory: INVENTORY });
    fx.advance(1000);
    await grants.grant({
      account: mary,
      certId: 'cccc3333',
      inventory: INVENTORY,
      isDefault: true,
      actor: { role: 'cli' },
    });
    const list = await grants.list(mary);
    assert.deepEqual(
      list.map((g) => [g.certId, g.isDefault]),
      [
        [full('cccc3333'), true],
        [full('aaaa1111'), false],
        [full('bbbb2222'), false],
      ],
    );
    // Granting again keeps the grant time and the default unless asked.
    await grants.grant({ account: mary, certId: 'cccc3333', inventory: INVENTORY });
    assert.equal((await grants.list(mary))[0]?.isDefault, true);
    const logged = (await fx.signLog()).filter((e) => e.action === 'granted');
    assert.deepEqual(logged[2]?.details, {
      account: 'mary',
      accountId: mary.id,
      certId: full('cccc3333'),
      isDefault: true,
    });
  });

  it('grants one certificate to several accounts', async () => {
    await grants.grant({ account: mary, certId: '5ba7ed00', inventory: INVENTORY });
    await grants.grant({ account: john, certId: '5ba7ed00', inventory: INVENTORY });
    assert.deepEqual(
      (await fx.store.grants.listForCertificate(full('5ba7ed00'))).map((g) => g.accountId).sort(),
      [mary.id, john.id].sort(),
    );
  });

  it('revokes; revoking the default promotes the oldest remaining grant', async () => {
    await grants.grant({ account: mary, certId: 'aaaa1111', inventory: INVENTORY });
    fx.advance(1000);
    await grants.grant({ account: mary, certId: 'bbbb2222', inventory: INVENTORY });
    fx.advance(1000);
    await grants.grant({ account: mary, certId: 'cccc3333', inventory: INVENTORY });
    await grants.revoke({ account: mary, certId: full('aaaa1111') });
    assert.deepEqual(
      (await grants.list(mary)).map((g) => [g.certId, g.isDefault]),
      [
        [full('bbbb2222'), true],
        [full('cccc3333'), false],
      ],
    );
    await assert.rejects(grants.revoke({ account: mary, certId: full('aaaa1111') }), hasCode(ErrorCode.GRANT_MISSING));
    assert.ok((await fx.signLog()).some((e) => e.action === 'revoked' && e.details?.certId === full('aaaa1111')));
  });

  it('refuses ids that cannot be certificate ids, and certificates the inventory does not hold', async () => {
    const grant = (certId: string) => grants.grant({ account: mary, certId, inventory: INVENTORY });
    await assert.rejects(grant('has space'), hasCode(ErrorCode.INVALID_ARGUMENT));
    await assert.rejects(grant(''), hasCode(ErrorCode.INVALID_ARGUMENT));
    await assert.rejects(grant('a'), hasCode(ErrorCode.INVALID_ARGUMENT));
    await assert.rejects(grant('deadbeefdead'), (error: unknown) => {
      hasCode(ErrorCode.CERT_UNKNOWN)(error);
      assert.match((error as Error).message, /no certificate deadbeefdead .*`signservice cert list` shows the ids/);
      return true;
    });
    assert.deepEqual(await grants.list(mary), [], 'nothing granted');
    assert.ok(!(await fx.signLog()).some((e) => e.action === 'granted'), 'nothing logged');
  });

  it('grants by a unique id prefix, storing the full id', async () => {
    const granted = await grants.grant({ account: mary, certId: 'AAAA1111', inventory: INVENTORY });
    assert.equal(granted.certId, full('aaaa1111'));
  });

  it('lets only granted, currently valid certificates be used', async () => {
    const [good, expired, future, revoked, gone] = ['a00d', 'e0b1', 'f070', 'de0c', '90e0'].map(full) as [
      string,
      string,
      string,
      string,
      string,
    ];
    const inventory = new Map<string, CertificateValidity>([
      [good, { notBefore: new Date(T0.getTime() - DAY), notAfter: new Date(T0.getTime() + DAY) }],
      [expired, { notBefore: new Date(T0.getTime() - 2 * DAY), notAfter: new Date(T0.getTime() - DAY) }],
      [future, { notBefore: new Date(T0.getTime() + DAY), notAfter: new Date(T0.getTime() + 2 * DAY) }],
      [revoked, { notBefore: new Date(T0.getTime() - DAY), notAfter: new Date(T0.getTime() + DAY), revoked: true }],
    ]);
    const lookup = async (id: string) => inventory.get(id);
    for (const id of [good, expired, future, revoked, gone])
      await grants.grant({ account: mary, certId: id, inventory: INVENTORY });
    assert.equal((await grants.assertCertificateUsable(mary, good, lookup)).certId, good);
    await assert.rejects(grants.assertCertificateUsable(john, good, lookup), hasCode(ErrorCode.GRANT_MISSING));
    await assert.rejects(grants.assertCertificateUsable(mary, expired, lookup), hasCode(ErrorCode.CERT_EXPIRED));
    await assert.rejects(grants.assertCertificateUsable(mary, future, lookup), hasCode(ErrorCode.CERT_NOT_YET_VALID));
    await assert.rejects(grants.assertCertificateUsable(mary, revoked, lookup), hasCode(ErrorCode.CERT_REVOKED));
    // Gone from the inventory after it was granted (the grant stays, the certificate cannot be used).
    await assert.rejects(grants.assertCertificateUsable(mary, gone, lookup), hasCode(ErrorCode.CERT_UNKNOWN));
    // Validity is judged at the injected "now": two days later the good one has expired too.
    fx.advance(2 * DAY);
    await assert.rejects(grants.assertCertificateUsable(mary, good, lookup), hasCode(ErrorCode.CERT_EXPIRED));
  });
});
