import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  assertUsableForSigning,
  buildInventory,
  findInventoryEntry,
  type InventoryCaRecords,
  type InventoryEntry,
} from '../../shared/crypto/certificate-inventory.js';
import type { IssuedRecord } from '../../shared/crypto/internal-ca/ca-store.js';
import { createRoot } from '../../shared/crypto/internal-ca/create-root.js';
import { issueCertificate } from '../../shared/crypto/internal-ca/issue-certificate.js';
import { revokeCertificate } from '../../shared/crypto/internal-ca/revoke-certificate.js';
import type { TokenListing } from '../../shared/crypto/token-snapshot.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { makeCaFixture } from './internal-ca/ca-fixture.js';

const DAY = 86_400_000;

/** A token listing holding the given certificates under CKA_IDs 01, 02, ... */
function listing(certs: { der: Buffer; key: boolean }[], present = true): TokenListing {
  return {
    present,
    modulePath: '/usr/lib/softhsm/libsofthsm2.so',
    tokenLabel: 'Shared token',
    tokenSerial: '1234',
    takenAt: new Date().toISOString(),
    certificates: certs.map((c, i) => ({
      ckaId: String(i + 1).padStart(2, '0'),
      label: `object ${i + 1}`,
      certificate: c.der,
      hasPrivateKey: c.key,
    })),
  };
}

describe('certificate inventory', () => {
  let fixture: ReturnType<typeof makeCaFixture>;
  let ca: InventoryCaRecords;
  const issued: Record<'soft' | 'onToken' | 'revoked' | 'tokenOnly' | 'noKey', IssuedRecord> = {} as never;

  before(async () => {
    fixture = makeCaFixture();
    const { store, masterKey } = fixture;
    await createRoot({ store, masterKey, keyType: 'ec-p256', subject: { commonName: 'Inventory CA' } });
    for (const name of Object.keys({
      soft: 1,
      onToken: 1,
      revoked: 1,
      tokenOnly: 1,
      noKey: 1,
    }) as (keyof typeof issued)[]) {
      issued[name] = await issueCertificate({
        store,
        masterKey,
        keyType: 'ec-p256',
        subject: { commonName: `Person ${name}`, organization: 'Acme', email: `${name.toLowerCase()}@acme.example` },
      });
    }
    await revokeCertificate({ store, masterKey, certificate: issued.revoked.id });
    const records = await store.listIssued();
    ca = {
      root: (await store.loadRoot())!,
      // tokenOnly is on the token but not in this CA's records; noKey lost its key record
      issued: records
        .filter((r) => r.id !== issued.tokenOnly.id)
        .map((r) => (r.id === issued.noKey.id ? { ...r, key: undefined } : r)),
      revocations: await store.listRevocations(),
    };
  });
  after(() => fixture.cleanup());

  const byId = (entries: InventoryEntry[], record: IssuedRecord) => entries.find((e) => e.id === record.id)!;

  it('lists token and internal-CA certificates once each, with id = SHA-256, location and internal use', () => {
    const token = listing([
      { der: issued.onToken.certificate, key: true },
      { der: issued.tokenOnly.certificate, key: true },
    ]);
    const { entries, problems } = buildInventory({ tokens: [token], ca });
    assert.deepEqual(problems, []);
    assert.equal(entries.length, 5, entries.map((e) => e.subject).join('; '));
    for (const e of entries) assert.equal(e.id, createHash('sha256').update(e.certificate).digest('hex'));
    const onToken = byId(entries, issued.onToken);
    assert.deepEqual(onToken.location, {
      kind: 'token',
      modulePath: '/usr/lib/softhsm/libsofthsm2.so',
      tokenLabel: 'Shared token',
      tokenSerial: '1234',
      ckaId: '01',
      objectLabel: 'object 1',
    });
    assert.equal(onToken.internalUse, true, 'issued by the internal CA, kept on a token');
    assert.equal(byId(entries, issued.tokenOnly).internalUse, false);
    const soft = byId(entries, issued.soft);
    assert.deepEqual(soft.location, { kind: 'internal', masterKeyId: fixture.masterKey.keyId });
    assert.equal(soft.internalUse, true);
    assert.equal(soft.keyType, 'EC P-256');
    assert.equal(soft.serialNumber, issued.soft.serialNumber);
    assert.match(soft.subject, /CN=Person soft/);
    assert.match(soft.issuer, /CN=Inventory CA/);
    assert.equal(entries[0]!.location.kind, 'token', 'token entries come first');
  });

  it('reports valid, revoked, key-missing, token-absent, expired and not-yet-valid', () => {
    const token = listing([
      { der: issued.onToken.certificate, key: false },
      { der: issued.tokenOnly.certificate, key: true },
    ]);
    const now = buildInventory({ tokens: [token], ca }).entries;
    assert.equal(byId(now, issued.soft).status, 'valid');
    assert.equal(byId(now, issued.tokenOnly).status, 'valid');
    assert.equal(byId(now, issued.revoked).status, 'revoked');
    assert.equal(byId(now, issued.onToken).status, 'key-missing');
    assert.equal(byId(now, issued.noKey).status, 'key-missing');
    assert.deepEqual(byId(now, issued.noKey).location, { kind: 'none' });
    const absent = buildInventory({ tokens: [{ ...token, present: false }], ca }).entries;
    assert.equal(byId(absent, issued.tokenOnly).status, 'token-absent');
    assert.equal(byId(absent, issued.revoked).status, 'revoked', 'revocation outranks everything');
    const later = buildInventory({ ca, now: new Date(Date.now() + 400 * DAY) }).entries;
    assert.equal(byId(later, issued.soft).status, 'expired');
    const earlier = buildInventory({ ca, now: new Date(Date.now() - DAY) }).entries;
    assert.equal(byId(earlier, issued.soft).status, 'not-yet-valid');
  });

  it('reports an unreadable token certificate as a problem, not an entry', () => {
    const token = listing([{ der: Buffer.from('garbage'), key: true }]);
    const { entries, problems } = buildInventory({ tokens: [token] });
    assert.equal(entries.length, 0);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /token "Shared token" CKA_ID 01 cannot be read/);
  });

  it('finds entries by full id or unique prefix; refuses unknown, ambiguous and malformed ids', () => {
    const { entries } = buildInventory({ ca });
    const soft = byId(entries, issued.soft);
    assert.equal(findInventoryEntry(entries, soft.id), soft);
    assert.equal(findInventoryEntry(entries, soft.id.slice(0, 10).toUpperCase()), soft);
    const is = (code: ErrorCode) => (e: unknown) => e instanceof AppError && e.code === code;
    assert.throws(() => findInventoryEntry(entries, 'ffffffffffff'), is(ErrorCode.CERT_UNKNOWN));
    assert.throws(() => findInventoryEntry(entries, 'abc'), is(ErrorCode.INVALID_ARGUMENT));
    assert.throws(() => findInventoryEntry(entries, 'not-hex-at-all'), is(ErrorCode.INVALID_ARGUMENT));
    const twins = [soft, { ...soft, id: `${soft.id.slice(0, 8)}${'0'.repeat(56)}` }];
    assert.throws(() => findInventoryEntry(twins, soft.id.slice(0, 8)), is(ErrorCode.INVALID_ARGUMENT));
  });

  it('refuses entries that must not sign, each with its own code', () => {
    const token = listing([
      { der: issued.onToken.certificate, key: false },
      { der: issued.tokenOnly.certificate, key: true },
    ]);
    const entries = buildInventory({ tokens: [token], ca }).entries;
    const absent = buildInventory({ tokens: [{ ...token, present: false }], ca }).entries;
    const expired = buildInventory({ ca, now: new Date(Date.now() + 400 * DAY) }).entries;
    const future = buildInventory({ ca, now: new Date(Date.now() - DAY) }).entries;
    const refusedWith = (entry: InventoryEntry, code: ErrorCode) =>
      assert.throws(
        () => assertUsableForSigning(entry),
        (e: unknown) => e instanceof AppError && e.code === code,
      );
    assertUsableForSigning(byId(entries, issued.soft));
    refusedWith(byId(entries, issued.revoked), ErrorCode.CERT_REVOKED);
    refusedWith(byId(entries, issued.onToken), ErrorCode.TOKEN_KEY_MISSING);
    refusedWith(byId(entries, issued.noKey), ErrorCode.CERT_KEY_MISSING);
    refusedWith(byId(absent, issued.tokenOnly), ErrorCode.TOKEN_ABSENT);
    refusedWith(byId(expired, issued.soft), ErrorCode.CERT_EXPIRED);
    refusedWith(byId(future, issued.soft), ErrorCode.CERT_NOT_YET_VALID);
  });
});
