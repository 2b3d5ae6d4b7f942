/** The CMS is PAdES baseline: checked with openssl, independently of our own parser where possible. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPkcs12 } from '../../shared/crypto/software-key.js';
import { requestTimestamp } from '../../shared/crypto/tsa-client.js';
import { PdfDocument } from '../../shared/pdf/pdf-document.js';
import { BufferSource, FileSource } from '../../shared/pdf/pdf-source.js';
import { signPdfFile } from '../../shared/pdf/sign-pdf.js';
import { listSignatures } from '../../shared/pdf/signature-fields.js';
import { verifyPdf } from '../../shared/pdf/verify-pdf.js';
import { extractSignatureTimestamp } from '../support/cms-parts.js';
import { getCorpus } from '../support/corpus.js';
import { createTestPki, type TestPki } from '../support/test-pki.js';
import { startTestTsa } from '../support/tsa-server.js';

describe('PAdES structure of the signature', function () {
  this.timeout(300_000);
  let pki: TestPki;
  let dir: string;
  let input: string;

  before(async () => {
    const [p, corpus] = await Promise.all([createTestPki(), getCorpus()]);
    pki = p;
    input = corpus.good.find((f) => f.name === 'reportlab-classic.pdf')!.path;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pades-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function signatureOf(file: string) {
    const doc = PdfDocument.open(new BufferSource(fs.readFileSync(file)));
    return listSignatures(doc).at(-1)!;
  }

  for (const who of ['rsa2048', 'rsa3072', 'ecP256'] as const) {
    it(`has signing-certificate-v2, no signing-time, ETSI.CAdES.detached and /M (${who})`, async () => {
      const id = pki.identities[who];
      const out = path.join(dir, `${who}.pdf`);
      await signPdfFile(input, out, { key: await loadPkcs12(fs.readFileSync(id.p12Path), id.p12Password) });
      const sig = signatureOf(out);
      assert.equal(sig.subFilter, 'ETSI.CAdES.detached');
      assert.match(sig.signingTime ?? '', /^D:\d{14}[+-Z]/);
      const cmsFile = path.join(dir, `${who}.p7s`);
      fs.writeFileSync(cmsFile, sig.contents);
      const printed = execFileSync('openssl', [
        'cms',
        '-cmsout',
        '-print',
        '-inform',
        'DER',
        '-in',
        cmsFile,
      ]).toString();
      assert.match(printed, /signingCertificateV2/);
      assert.doesNotMatch(printed, /signingTime/);
      assert.match(printed, /contentType[\s\S]*pkcs7-data/);
      // The chain is included: signer + intermediate + root.
      assert.equal(printed.match(/cert_info:/g)?.length, 3);
      // The detached CMS verifies over the ByteRange bytes with openssl.
      const bytes = fs.readFileSync(out);
      const [a, b, c, d] = sig.byteRange as [number, number, number, number];
      const content = path.join(dir, `${who}.content`);
      fs.writeFileSync(content, Buffer.concat([bytes.subarray(a, a + b), bytes.subarray(c, c + d)]));
      execFileSync('openssl', [
        'cms',
        '-verify',
        '-binary',
        '-inform',
        'DER',
        '-in',
        cmsFile,
        '-content',
        content,
        '-CAfile',
        pki.rootCertPath,
        '-purpose',
        'any',
        '-out',
        '/dev/null',
      ]);
    });
  }

  it('adds an RFC 3161 signature timestamp (B-T) that openssl ts -verify accepts', async () => {
    const tsa = await startTestTsa(pki);
    try {
      const id = pki.identities.rsa2048;
      const out = path.join(dir, 'bt.pdf');
      await signPdfFile(input, out, {
        key: await loadPkcs12(fs.readFileSync(id.p12Path), id.p12Password),
        timestamp: (value) => requestTimestamp(tsa.url, value),
      });
      const sig = signatureOf(out);
      const { token, signatureValue } = extractSignatureTimestamp(sig.contents);
      const tokenFile = path.join(dir, 'token.der');
      const dataFile = path.join(dir, 'sigvalue.bin');
      fs.writeFileSync(tokenFile, token);
      fs.writeFileSync(dataFile, signatureValue);
      const verified = execFileSync('openssl', [
        'ts',
        '-verify',
        '-in',
        tokenFile,
        '-token_in',
        '-data',
        dataFile,
        '-CAfile',
        pki.rootCertPath,
        '-untrusted',
        pki.tsa.chainPath,
      ]).toString();
      assert.match(verified, /Verification: OK/);
      const fd = fs.openSync(out, 'r');
      const report = verifyPdf(new FileSource(fd), { trustRoots: [pki.rootCertDer] });
      fs.closeSync(fd);
      assert.equal(report.signatures[0]!.level, 'B-T');
    } finally {
      await tsa.close();
    }
  });

  it('fails clearly and writes nothing when the TSA is unreachable', async () => {
    const id = pki.identities.rsa2048;
    const out = path.join(dir, 'no-tsa.pdf');
    await assert.rejects(
      signPdfFile(input, out, {
        key: await loadPkcs12(fs.readFileSync(id.p12Path), id.p12Password),
        timestamp: (value) => requestTimestamp('http://127.0.0.1:9/tsa', value, { timeoutMs: 2000 }),
      }),
      (e: { code?: string }) => e.code === 'TSA_UNAVAILABLE',
    );
    assert.equal(fs.existsSync(out), false);
  });
});
