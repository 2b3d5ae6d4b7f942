import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { attributeValue, parseSignedData } from '../../shared/crypto/cms-signed-data.js';
import { signedBytesDigestName, verifyCmsSignature } from '../../shared/crypto/cms-verify.js';
import { OID } from '../../shared/crypto/oids.js';
import { buildPadesSignature } from '../../shared/crypto/pades-cms.js';
import type { SigningKey } from '../../shared/crypto/signing-key.js';
import { loadPkcs12 } from '../../shared/crypto/software-key.js';
import { requestTimestamp } from '../../shared/crypto/tsa-client.js';
import { runTool } from '../support/run-tool.js';
import { createTestPki, type IdentityName, type TestPki } from '../support/test-pki.js';
import { startTestTsa, type TestTsa } from '../support/tsa-server.js';

describe('verifyCmsSignature', function () {
  this.timeout(120_000);
  let pki: TestPki;
  let tsa: TestTsa;
  let dir: string;
  const data = Buffer.from('the bytes covered by /ByteRange\n'.repeat(100));
  const digest = createHash('sha256').update(data).digest();

  const keyOf = async (name: IdentityName): Promise<SigningKey> => {
    const id = pki.identities[name];
    return loadPkcs12(fs.readFileSync(id.p12Path), id.p12Password);
  };
  const flip = (buffer: Buffer, at: number): Buffer => {
    const copy = Buffer.from(buffer);
    copy[at]! ^= 0x01;
    return copy;
  };

  before(async () => {
    pki = await createTestPki();
    tsa = await startTestTsa(pki);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cms-verify-'));
    fs.writeFileSync(path.join(dir, 'data.bin'), data);
  });
  after(async () => {
    await tsa?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('detects a changed byte in the signed data', async () => {
    const cms = await buildPadesSignature({ key: await keyOf('rsa2048'), documentDigest: digest });
    const changed = createHash('sha256').update(flip(data, 10)).digest();
    const report = verifyCmsSignature(cms, changed, { trustRoots: [pki.rootCertDer] });
    assert.equal(report.integrity, false);
    assert.ok(
      report.problems.some((p) => /changed after signing/.test(p)),
      report.problems.join('\n'),
    );
    assert.equal(verifyCmsSignature(cms, digest, { trustRoots: [pki.rootCertDer] }).integrity, true);
  });

  it('detects a tampered signature value and a tampered signed attribute', async () => {
    for (const name of ['rsa2048', 'ecP256'] as const) {
      const cms = await buildPadesSignature({ key: await keyOf(name), documentDigest: digest });
      const signature = parseSignedData(cms).signerInfos[0]!.signature;
      const tampered = flip(cms, cms.indexOf(signature) + signature.length - 3);
      const report = verifyCmsSignature(tampered, digest, { trustRoots: [pki.rootCertDer] });
      assert.equal(report.integrity, false, name);
      assert.ok(
        report.problems.some((p) => /does not verify|cannot be checked/.test(p)),
        report.problems.join('\n'),
      );

      // The ESS certHash is a signed attribute: changing it breaks the signature and the certificate binding.
      const certHash = createHash('sha256').update(pki.identities[name].certDer).digest();
      const swapped = verifyCmsSignature(flip(cms, cms.indexOf(certHash)), digest, { trustRoots: [pki.rootCertDer] });
      assert.equal(swapped.integrity, false);
      assert.equal(swapped.signingCertificateV2Matches, false);
      assert.ok(swapped.problems.some((p) => /signing-certificate-v2/.test(p)));
    }
  });

  it('reports an untrusted root, and no trust without roots, while integrity stays intact', async () => {
    const otherKey = path.join(dir, 'other.key');
    const otherCert = path.join(dir, 'other.pem');
    const made = await runTool('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      otherKey,
      '-out',
      otherCert,
      '-days',
      '30',
      '-subj',
      '/CN=Some Other Root',
      '-outform',
      'DER',
    ]);
    assert.equal(made.exitCode, 0, made.stderr);
    const cms = await buildPadesSignature({ key: await keyOf('rsa2048'), documentDigest: digest });
    const report = verifyCmsSignature(cms, digest, { trustRoots: [fs.readFileSync(otherCert)] });
    assert.equal(report.integrity, true);
    assert.equal(report.chain.trusted, false);
    assert.match(report.chain.problem!, /not trusted/);
    assert.deepEqual(report.chain.path, [
      'E=mary.smith@example.com,O=Test Company,CN=Mary Smith',
      'O=SignService Tests,CN=SignService Test Issuing CA',
      'O=SignService Tests,CN=SignService Test Root CA',
    ]);
    const noRoots = verifyCmsSignature(cms, digest);
    assert.equal(noRoots.integrity, true);
    assert.equal(noRoots.chain.trusted, false);
    assert.match(noRoots.chain.problem!, /no trust anchors/);
    // The intermediate alone may serve as the anchor.
    assert.equal(verifyCmsSignature(cms, digest, { trustRoots: [pki.intermediateCertDer] }).chain.trusted, true);
  });

  it('reports an expired signer at `at`, and accepts it while it was valid', async () => {
    const expired = await buildPadesSignature({ key: await keyOf('expired'), documentDigest: digest });
    const now = verifyCmsSignature(expired, digest, { trustRoots: [pki.rootCertDer], at: new Date() });
    assert.equal(now.integrity, true);
    assert.equal(now.chain.trusted, false);
    assert.match(now.chain.problem!, /"O=Test Company,CN=Old Expired" expired on/);
    assert.ok(now.problems.includes(now.chain.problem!));
    const back = new Date(Date.now() - 30 * 86_400_000);
    assert.equal(verifyCmsSignature(expired, digest, { trustRoots: [pki.rootCertDer], at: back }).chain.trusted, true);

    const future = await buildPadesSignature({ key: await keyOf('notYetValid'), documentDigest: digest });
    const early = verifyCmsSignature(future, digest, { trustRoots: [pki.rootCertDer] });
    assert.match(early.chain.problem!, /not valid before/);
  });

  it('checks a B-T timestamp and notices one that belongs to another signature', async () => {
    const key = await keyOf('rsa2048');
    const cms = await buildPadesSignature({
      key,
      documentDigest: digest,
      timestamp: (v) => requestTimestamp(tsa.url, v),
    });
    const good = verifyCmsSignature(cms, digest, { trustRoots: [pki.rootCertDer] });
    assert.equal(good.timestamp?.imprintMatches, true);
    assert.equal(good.timestamp?.signatureValid, true);

    const signerInfo = parseSignedData(cms).signerInfos[0]!;
    const imprint = createHash('sha256').update(signerInfo.signature).digest();
    const token = attributeValue(signerInfo.unsignedAttributes, OID.signatureTimeStampToken)!.encoded;
    const at = cms.indexOf(token) + token.indexOf(imprint);
    const bad = verifyCmsSignature(flip(cms, at), digest, { trustRoots: [pki.rootCertDer] });
    assert.equal(bad.integrity, true, 'the timestamp is unsigned: the signature itself is still intact');
    assert.equal(bad.timestamp?.imprintMatches, false);
    assert.equal(bad.timestamp?.signatureValid, false);
    assert.ok(bad.problems.some((p) => /different signature value/.test(p)));
  });

  it('never throws on a damaged CMS', async () => {
    const cms = await buildPadesSignature({ key: await keyOf('ecP256'), documentDigest: digest });
    for (const damaged of [
      Buffer.alloc(0),
      Buffer.from('not a cms'),
      cms.subarray(0, 100),
      cms.subarray(0, cms.length - 1),
    ]) {
      const report = verifyCmsSignature(damaged, digest, { trustRoots: [pki.rootCertDer] });
      assert.equal(report.integrity, false);
      assert.ok(
        report.problems.some((p) => /damaged/.test(p)),
        report.problems.join('\n'),
      );
    }
    // Trailing zeros, as in a PDF /Contents placeholder, are fine.
    assert.equal(verifyCmsSignature(Buffer.concat([cms, Buffer.alloc(500)]), digest).integrity, true);
    // Every flipped byte is noticed, except in the CMS copy of the root: the anchor comes from trustRoots.
    const root = cms.indexOf(pki.rootCertDer);
    assert.ok(root > 0);
    const unnoticed: number[] = [];
    for (let at = 0; at < cms.length; at++) {
      if (at >= root && at < root + pki.rootCertDer.length) continue;
      const report = verifyCmsSignature(flip(cms, at), digest, { trustRoots: [pki.rootCertDer] });
      if (report.integrity && report.chain.trusted && report.problems.length === 0) unnoticed.push(at);
    }
    assert.deepEqual(unnoticed, []);
  });

  async function opensslSign(name: IdentityName | 'ecP384', extra: string[], md = 'sha256'): Promise<Buffer> {
    const id = name === 'ecP384' ? pki.verifyOnly.ecP384 : pki.identities[name];
    const out = path.join(dir, `openssl-${name}-${md}.der`);
    const run = await runTool('openssl', [
      'cms',
      '-sign',
      '-binary',
      '-in',
      path.join(dir, 'data.bin'),
      '-signer',
      id.certPath,
      '-inkey',
      id.keyPath,
      '-certfile',
      id.chainPath,
      '-md',
      md,
      '-outform',
      'DER',
      '-out',
      out,
      ...extra,
    ]);
    assert.equal(run.exitCode, 0, run.stderr);
    return fs.readFileSync(out);
  }

  it('verifies CMS made by openssl: DER, BER-streamed and RSA-PSS', async () => {
    const plain = verifyCmsSignature(await opensslSign('rsa2048', []), digest, { trustRoots: [pki.rootCertDer] });
    assert.deepEqual(plain.problems, []);
    assert.equal(plain.integrity && plain.chain.trusted, true);
    assert.equal(plain.hasSigningTime, true, 'openssl adds signing-time (CAdES, not PAdES)');

    const streamed = await opensslSign('ecP256', ['-stream']);
    assert.equal(streamed[1], 0x80, 'indefinite length at the top');
    const ber = verifyCmsSignature(streamed, digest, { trustRoots: [pki.rootCertDer] });
    assert.deepEqual(ber.problems, []);
    assert.equal(ber.integrity, true);

    const pss = await opensslSign('rsa3072', ['-keyopt', 'rsa_padding_mode:pss', '-keyopt', 'rsa_pss_saltlen:32']);
    assert.equal(parseSignedData(pss).signerInfos[0]!.signatureAlgorithm, OID.rsassaPss);
    const pssReport = verifyCmsSignature(pss, digest, { trustRoots: [pki.rootCertDer] });
    assert.deepEqual(pssReport.problems, []);
    assert.equal(pssReport.integrity, true);
  });

  it('verifies SHA-384 and SHA-512 signatures (ECDSA P-384, RSA-PSS) and says why SHA-1 is not checked', async () => {
    const digestOf = (hash: string) => createHash(hash).update(data).digest();
    const p384 = await opensslSign('ecP384', ['-cades'], 'sha384');
    assert.equal(signedBytesDigestName(p384), 'sha384');
    const good = verifyCmsSignature(p384, digestOf('sha384'), { trustRoots: [pki.rootCertDer] });
    assert.deepEqual(good.problems, []);
    assert.equal(good.integrity && good.chain.trusted && good.signingCertificateV2Matches, true);
    assert.equal(good.signer?.subjectCommonName, 'Paula Hanko');
    const wrongHash = verifyCmsSignature(p384, digestOf('sha256'), {});
    assert.equal(wrongHash.integrity, false);

    const pss = await opensslSign(
      'rsa2048',
      ['-keyopt', 'rsa_padding_mode:pss', '-keyopt', 'rsa_pss_saltlen:64'],
      'sha512',
    );
    assert.equal(signedBytesDigestName(pss), 'sha512');
    assert.equal(verifyCmsSignature(pss, digestOf('sha512'), { trustRoots: [pki.rootCertDer] }).integrity, true);
    const changed = verifyCmsSignature(pss, createHash('sha512').update(flip(data, 3)).digest(), {});
    assert.equal(changed.integrity, false);
    assert.ok(changed.problems.some((p) => /changed after signing/.test(p)));

    const sha1 = await opensslSign('rsa2048', [], 'sha1');
    assert.equal(signedBytesDigestName(sha1), 'sha256', 'unchecked digests fall back to SHA-256');
    const refused = verifyCmsSignature(sha1, digestOf('sha1'), {});
    assert.equal(refused.integrity, false);
    assert.ok(
      refused.problems.some((p) => /only SHA-256, SHA-384 and SHA-512/.test(p)),
      refused.problems.join('\n'),
    );
  });
});
