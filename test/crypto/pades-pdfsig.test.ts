/**
 * The CMS inside a real PDF, checked by poppler's pdfsig against the test PKI's NSS database. The PDF side comes
 * from pdf-lib + @signpdf (not our engine), so this covers the crypto layer and the test PKI on their own.
 * pdfsig runs offline (`-no-ocsp`). Poppler 22.08 reads NSS's last error after CERT_PKIXVerifyCert even when
 * the chain verified; the test PKI's signer extensions (EKU, CRL DP, AIA) keep that error clear.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pdflibAddPlaceholder } from '@signpdf/placeholder-pdf-lib';
import { SignPdf } from '@signpdf/signpdf';
import { Signer, SUBFILTER_ETSI_CADES_DETACHED } from '@signpdf/utils';
import { PDFDocument } from 'pdf-lib';
import { buildPadesSignature, estimateSignatureSize } from '../../shared/crypto/pades-cms.js';
import type { SigningKey } from '../../shared/crypto/signing-key.js';
import { loadPkcs12 } from '../../shared/crypto/software-key.js';
import { requestTimestamp } from '../../shared/crypto/tsa-client.js';
import { runTool } from '../support/run-tool.js';
import { createTestPki, type IdentityName, type TestPki } from '../support/test-pki.js';
import { startTestTsa, type TestTsa } from '../support/tsa-server.js';

/** An @signpdf Signer that hashes the ByteRange bytes and builds our PAdES CMS. */
class PadesSigner extends Signer {
  constructor(
    private readonly key: SigningKey,
    private readonly tsaUrl?: string,
  ) {
    super();
  }

  override async sign(bytes: Buffer): Promise<Buffer> {
    const tsaUrl = this.tsaUrl;
    return buildPadesSignature({
      key: this.key,
      documentDigest: createHash('sha256').update(bytes).digest(),
      ...(tsaUrl ? { timestamp: (value: Buffer) => requestTimestamp(tsaUrl, value) } : {}),
    });
  }
}

describe('PAdES CMS in a PDF, checked by pdfsig', function () {
  this.timeout(120_000);
  let pki: TestPki;
  let tsa: TestTsa;
  let dir: string;

  before(async () => {
    pki = await createTestPki();
    tsa = await startTestTsa(pki);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pades-pdfsig-'));
  });
  after(async () => {
    await tsa?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function signedPdf(name: IdentityName, withTimestamp: boolean): Promise<string> {
    const id = pki.identities[name];
    const key = await loadPkcs12(fs.readFileSync(id.p12Path), id.p12Password);
    const pdfDoc = await PDFDocument.create();
    pdfDoc.addPage([300, 200]).drawText('Contract', { x: 20, y: 150, size: 18 });
    pdflibAddPlaceholder({
      pdfDoc,
      reason: 'Approved',
      contactInfo: 'mary.smith@example.com',
      name: 'Signer',
      location: 'Office',
      // pdf-lib's placeholder holds signatureLength hex digits, i.e. half as many bytes.
      signatureLength: 2 * estimateSignatureSize(key, withTimestamp),
      subFilter: SUBFILTER_ETSI_CADES_DETACHED,
    });
    const unsigned = Buffer.from(await pdfDoc.save({ useObjectStreams: false }));
    const signed = await new SignPdf().sign(unsigned, new PadesSigner(key, withTimestamp ? tsa.url : undefined));
    const file = path.join(dir, `${name}${withTimestamp ? '-t' : ''}.pdf`);
    fs.writeFileSync(file, signed);
    return file;
  }

  const cases: [IdentityName, boolean][] = [
    ['rsa2048', false],
    ['rsa3072', false],
    ['ecP256', false],
    ['cyrillic', false],
    ['rsa2048', true],
  ];
  for (const [name, withTimestamp] of cases) {
    it(`says "Signature is Valid." and "Certificate is Trusted." (${name}${withTimestamp ? ', B-T' : ''})`, async () => {
      const file = await signedPdf(name, withTimestamp);
      const run = await runTool('pdfsig', ['-nssdir', pki.nssDir, '-no-ocsp', file]);
      assert.equal(run.exitCode, 0, run.stderr);
      assert.match(run.stdout, /Signature Type: ETSI\.CAdES\.detached/);
      assert.match(run.stdout, /Signing Hash Algorithm: SHA-256/);
      assert.match(run.stdout, /Signature Validation: Signature is Valid\./, run.stdout);
      assert.match(run.stdout, /Certificate Validation: Certificate is Trusted\./, run.stdout);
      if (name === 'cyrillic') assert.match(run.stdout, /Signer Certificate Common Name: Мария Иванова/);
    });
  }

  it('says "Certificate issuer isn\'t Trusted." with an NSS database that lacks the root', async () => {
    const file = await signedPdf('rsa2048', false);
    const empty = path.join(dir, 'empty-nss');
    fs.mkdirSync(empty);
    assert.equal((await runTool('certutil', ['-N', '-d', `sql:${empty}`, '--empty-password'])).exitCode, 0);
    const run = await runTool('pdfsig', ['-nssdir', `sql:${empty}`, '-no-ocsp', file]);
    assert.match(run.stdout, /Signature is Valid\./);
    assert.match(run.stdout, /Certificate Validation: Certificate issuer isn't Trusted\./, run.stdout);
  });
});
