/** How a certificate reads where it is chosen: display name, else subject, short serial, token, expiry, issuer. */
import assert from 'node:assert/strict';
import { type CertificateChoice, nameCommonName, shortSerial } from '../../activity/b24/certificate-choices.js';
import { certificateLabel } from '../../activity/b24/certificate-label.js';

const day = (d: Date) => d.toISOString().slice(0, 10);
const base: CertificateChoice = {
  id: 'a'.repeat(64),
  name: 'Мария Иванова',
  issuer: 'Acme CA',
  serial: '190B…6D795F',
  tokenLabel: 'Token2',
  notAfter: new Date('2027-12-06T00:00:00Z'),
  isDefault: false,
  internalUse: false,
};

describe('certificate labels', () => {
  it('short serials: up to 12 digits whole, longer ones as first 4 and last 6; leading zeros dropped', () => {
    assert.equal(shortSerial('0A1B2C'), 'A1B2C');
    assert.equal(shortSerial('123456789ABC'), '123456789ABC');
    assert.equal(shortSerial('190B5D2E33F0A1C29D8E7F6D795F'), '190B…6D795F');
    assert.equal(shortSerial('00'), '0');
  });

  it('the issuer by its common name, escapes undone; a name without CN stays whole', () => {
    assert.equal(nameCommonName('CN=Acme\\, Inc. CA,O=Acme'), 'Acme, Inc. CA');
    assert.equal(nameCommonName('O=Acme,CN=Root'), 'Root');
    assert.equal(nameCommonName('O=Acme'), 'O=Acme');
  });

  it('reads subject, serial, token, expiry and issuer; a given name instead; the default marked', () => {
    assert.equal(
      certificateLabel('en', base, day),
      'Мария Иванова, serial 190B…6D795F, token "Token2", valid until 2027-12-06, issued by Acme CA',
    );
    assert.equal(
      certificateLabel('ru', { ...base, tokenLabel: undefined, isDefault: true }, day),
      'Мария Иванова, № 190B…6D795F, внутренний УЦ, действует до 2027-12-06, издатель: Acme CA — по умолчанию',
    );
    assert.equal(
      certificateLabel('ru', { ...base, displayName: 'Печать бухгалтерии' }, day),
      'Печать бухгалтерии (№ 190B…6D795F, действует до 2027-12-06)',
    );
  });
});
