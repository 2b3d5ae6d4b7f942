import assert from 'node:assert/strict';
import { createHash, sign } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { attributeValue, parseSignedData } from '../../shared/crypto/cms-signed-data.js';
import { verifyCmsSignature } from '../../shared/crypto/cms-verify.js';
import { readDer, readOid, setOf } from '../../shared/crypto/der.js';
import { OID } from '../../shared/crypto/oids.js';
import { buildPadesSignature, estimateSignatureSize } from '../../shared/crypto/pades-cms.js';
import type { SigningKey } from '../../shared/crypto/signing-key.js';
import { loadPemKey, loadPkcs12 } from '../../shared/crypto/software-key.js';
import { requestTimestamp } from '../../shared/crypto/tsa-client.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { runTool } from '../support/run-tool.js';
import { createTestPki, type IdentityName, type TestPki } from '../support/test-pki.js';
import { startTestTsa, type TestTsa } from '../support/tsa-server.js';

const SIGNERS: IdentityName[] = ['rsa2048', 'rsa3072', 'ecP256', 'cyrillic'];

describe('buildPadesSignature', function () {
  this.timeout(120_000);
  let pki: TestPki;
  let tsa: TestTsa;
  let dir: string;
  const data = Buffer.from('%PDF-1.7 the signed ByteRange bytes stand in here\n'.repeat(200));
  const digest = createHash('sha256').update(data).digest();
  const keys = new Map<IdentityName, SigningKey>();

  before(async () => {
    pki = await createTestPki();
    tsa = await startTestTsa(pki);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pades-cms-'));
    fs.writeFileSync(path.join(dir, 'data.bin'), data);
    for (const name of SIGNERS) {
      const id = pki.identities[name];
      // Half from PKCS#12, half from PEM: both loaders feed the builder.
      const key =
        name === 'ecP256' || name === 'rsa3072'
          ? loadPemKey(fs.readFileSync(id.keyPath), id.certPem, fs.readFileSync(id.chainPath))
          : await loadPkcs12(fs.readFileSync(id.p12Path), id.p12Password);
      keys.set(name, key);
    }
  });
  after(async () => {
    await tsa?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function opensslVerify(cms: Buffer): Promise<{ exitCode: number; stderr: string }> {
    const file = path.join(dir, 'sig.der');
    fs.writeFileSync(file, cms);
    return runTool('openssl', [
      'cms',
      '-verify',
      '-binary',
      '-inform',
      'DER',
      '-in',
      file,
      '-content',
      path.join(dir, 'data.bin'),
      '-CAfile',
      pki.rootCertPath,
      '-purpose',
      'any',
      '-out',
      path.join(dir, 'out.bin'),
    ]);
  }

  for (const name of SIGNERS) {
    it(`makes a B-B CMS that openssl and cms-verify accept (${name})`, async () => {
      const key = keys.get(name)!;
      const cms = await buildPadesSignature({ key, documentDigest: digest });
      const run = await opensslVerify(cms);
      assert.equal(run.exitCode, 0, run.stderr);
      assert.match(run.stderr, /Verification successful/);
      assert.ok(fs.readFileSync(path.join(dir, 'out.bin')).equals(data));

      const report = verifyCmsSignature(cms, digest, { trustRoots: [pki.rootCertDer] });
      assert.deepEqual(report.problems, []);
      assert.equal(report.integrity, true);
      assert.equal(report.chain.trusted, true);
      assert.equal(report.chain.path.length, 3);
      assert.ok(report.signerCertificate?.equals(pki.identities[name].certDer));
      assert.equal(report.hasSigningCertificateV2 && report.signingCertificateV2Matches, true);
      assert.equal(report.hasSigningTime, false);
      assert.equal(report.contentTypeIsData, true);
      assert.equal(report.digestAlgorithm, 'sha256');
      assert.ok(cms.length <= estimateSignatureSize(key, false), `${cms.length} > estimate`);
    });
  }

  it('has exactly the PAdES B-B structure (openssl cms -cmsout -print and our decoder)', async () => {
    const key = keys.get('rsa2048')!;
    const cms = await buildPadesSignature({ key, documentDigest: digest });
    const file = path.join(dir, 'structure.der');
    fs.writeFileSync(file, cms);
    const printed = await runTool('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', file]);
    assert.equal(printed.exitCode, 0, printed.stderr);
    assert.match(printed.stdout, /id-smime-aa-signingCertificateV2/);
    assert.doesNotMatch(printed.stdout, /signingTime/);
    assert.match(printed.stdout, /eContentType: pkcs7-data/);
    assert.match(printed.stdout, /eContent: <ABSENT>/);

    const signedData = parseSignedData(cms);
    assert.equal(signedData.contentType, OID.data);
    assert.equal(signedData.content, undefined, 'detached');
    assert.deepEqual(signedData.digestAlgorithms, [OID.sha256]);
    const certs = [pki.identities.rsa2048.certDer, pki.intermediateCertDer, pki.rootCertDer];
    assert.equal(signedData.certificates.length, 3);
    for (const cert of certs)
      assert.ok(
        signedData.certificates.some((c) => c.equals(cert)),
        'chain included',
      );
    const [signerInfo] = signedData.signerInfos;
    assert.equal(signedData.signerInfos.length, 1);
    assert.equal(signerInfo!.signatureAlgorithm, OID.sha256WithRSAEncryption);
    assert.deepEqual(
      signerInfo!.signedAttributes.map((a) => a.type).sort(),
      [OID.contentType, OID.messageDigest, OID.signingCertificateV2].sort(),
    );
    assert.equal(readOid(attributeValue(signerInfo!.signedAttributes, OID.contentType)!), OID.data);
    assert.ok(attributeValue(signerInfo!.signedAttributes, OID.messageDigest)!.content.equals(digest));
    // DER: the SET OF is sorted, so re-sorting the attributes changes nothing.
    const attrs = signerInfo!.signedAttributesDer!;
    assert.ok(
      setOf(
        readDer(attrs)
          .children()
          .map((c) => c.encoded),
      ).equals(attrs),
    );
    assert.equal(signerInfo!.unsignedAttributes.length, 0);
    // ESSCertIDv2 { certHash, issuerSerial }: hashAlgorithm SHA-256 left out as the DER default.
    const essCertId = attributeValue(signerInfo!.signedAttributes, OID.signingCertificateV2)!
      .children()[0]!
      .children()[0]!;
    const [certHash, issuerSerial] = essCertId.children();
    assert.equal(certHash!.tag, 0x04);
    assert.ok(certHash!.content.equals(createHash('sha256').update(pki.identities.rsa2048.certDer).digest()));
    assert.equal(issuerSerial!.children()[0]!.children()[0]!.tag, 0xa4, 'directoryName [4]');
  });

  it('uses ecdsa-with-SHA256 for EC keys', async () => {
    const cms = await buildPadesSignature({ key: keys.get('ecP256')!, documentDigest: digest });
    assert.equal(parseSignedData(cms).signerInfos[0]!.signatureAlgorithm, OID.ecdsaWithSHA256);
  });

  for (const name of ['rsa2048', 'ecP256'] as const) {
    it(`makes a B-T CMS whose token openssl ts -verify accepts (${name})`, async () => {
      const key = keys.get(name)!;
      const before = tsa.requests;
      const cms = await buildPadesSignature({
        key,
        documentDigest: digest,
        timestamp: (value) => requestTimestamp(tsa.url, value),
      });
      assert.equal(tsa.requests, before + 1);
      assert.equal((await opensslVerify(cms)).exitCode, 0);
      assert.ok(cms.length <= estimateSignatureSize(key, true));

      const [signerInfo] = parseSignedData(cms).signerInfos;
      const token = attributeValue(signerInfo!.unsignedAttributes, OID.signatureTimeStampToken)!;
      const tokenFile = path.join(dir, `token-${name}.der`);
      const valueFile = path.join(dir, `value-${name}.bin`);
      fs.writeFileSync(tokenFile, token.encoded);
      fs.writeFileSync(valueFile, signerInfo!.signature);
      const run = await runTool('openssl', [
        'ts',
        '-verify',
        '-in',
        tokenFile,
        '-token_in',
        '-data',
        valueFile,
        '-CAfile',
        pki.rootCertPath,
        '-untrusted',
        pki.tsa.chainPath,
      ]);
      assert.equal(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
      assert.match(run.stdout, /Verification: OK/);

      const report = verifyCmsSignature(cms, digest, { trustRoots: [pki.rootCertDer] });
      assert.deepEqual(report.problems, []);
      assert.equal(report.integrity, true);
      assert.ok(report.timestamp);
      assert.equal(report.timestamp.imprintMatches, true);
      assert.equal(report.timestamp.signatureValid, true);
      assert.equal(report.timestamp.tsaSubject, 'O=SignService Tests,CN=SignService Test TSA');
      assert.equal(report.timestamp.chain.trusted, true);
      assert.ok(Math.abs(report.timestamp.genTime.getTime() - Date.now()) < 60_000);
    });
  }

  it('rejects a digest that is not 32 bytes', async () => {
    await assert.rejects(buildPadesSignature({ key: keys.get('rsa2048')!, documentDigest: Buffer.alloc(20) }), {
      code: ErrorCode.INVALID_ARGUMENT,
    });
  });

  it('refuses a key that does not belong to the certificate', async () => {
    const key = keys.get('rsa2048')!;
    const wrong: SigningKey = {
      certificate: pki.identities.cyrillic.certDer,
      chain: key.chain,
      algorithm: key.algorithm,
      sign: (d) => key.sign(d),
    };
    await assert.rejects(buildPadesSignature({ key: wrong, documentDigest: digest }), (e: unknown) => {
      return e instanceof AppError && e.code === ErrorCode.KEY_INVALID && e.message.includes('Мария Иванова');
    });
    const mislabelled: SigningKey = { ...wrong, certificate: pki.identities.ecP256.certDer };
    await assert.rejects(buildPadesSignature({ key: mislabelled, documentDigest: digest }), {
      code: ErrorCode.KEY_INVALID,
    });
  });

  it('refuses an ECDSA value in raw r||s form instead of DER', async () => {
    const id = pki.identities.ecP256;
    const key = keys.get('ecP256')!;
    const p1363: SigningKey = {
      certificate: key.certificate,
      chain: key.chain,
      algorithm: key.algorithm,
      sign: async (d) => sign('sha256', d, { key: fs.readFileSync(id.keyPath), dsaEncoding: 'ieee-p1363' }),
    };
    await assert.rejects(buildPadesSignature({ key: p1363, documentDigest: digest }), /Ecdsa-Sig-Value/);
  });

  it('refuses a timestamp token that is not one DER element', async () => {
    await assert.rejects(
      buildPadesSignature({
        key: keys.get('rsa2048')!,
        documentDigest: digest,
        timestamp: async () => Buffer.from('nonsense'),
      }),
      { code: ErrorCode.TSA_BAD_RESPONSE },
    );
  });
});
