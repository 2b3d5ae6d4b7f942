/** The CRL is reissued before its nextUpdate: not while fresh, once half its validity has passed, and when missing. */
import assert from 'node:assert/strict';
import { createRoot } from '../../../shared/crypto/internal-ca/create-root.js';
import { refreshCrlIfDue } from '../../../shared/crypto/internal-ca/crl-refresh.js';
import { parseCrl } from '../../../shared/crypto/revocation/crl-reader.js';
import { makeCaFixture } from './ca-fixture.js';

describe('refreshCrlIfDue', () => {
  let fixture: ReturnType<typeof makeCaFixture>;
  before(async () => {
    fixture = makeCaFixture();
    await createRoot({
      store: fixture.store,
      masterKey: fixture.masterKey,
      keyType: 'ec-p256',
      subject: { commonName: 'Refresh CA' },
    });
  });
  after(() => fixture.cleanup());

  it('issues a CRL when there is none, keeps a fresh one, and reissues past half its validity', async () => {
    const { store, masterKey } = fixture;
    const start = new Date();
    assert.equal(await refreshCrlIfDue(store, masterKey, start), true);
    const first = parseCrl((await store.loadCrl())!);
    assert.equal(await refreshCrlIfDue(store, masterKey, new Date(start.getTime() + 86_400_000)), false);
    assert.deepEqual(parseCrl((await store.loadCrl())!).thisUpdate, first.thisUpdate);
    const later = new Date(start.getTime() + 4 * 86_400_000); // a 7-day CRL is past its middle after 3.5 days
    assert.equal(await refreshCrlIfDue(store, masterKey, later), true);
    const second = parseCrl((await store.loadCrl())!);
    assert.ok(second.thisUpdate > first.thisUpdate && second.nextUpdate! > first.nextUpdate!);
  });
});
