/**
 * PAdES B-LT and B-LTA with the internal CA publishing its CRL and OCSP responder on 127.0.0.1 and a local
 * TSA: the DSS makes signatures verifiable offline with revocation required (our verifier, nothing fetched),
 * pdfsig agrees, the document timestamp is one `openssl ts -verify` accepts, `extend` renews the archive
 * timestamp of a three-signature chain, and all of it still verifies after the CA and the TSA are gone.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { revokeCertificate } from '../../shared/crypto/internal-ca/revoke-certificate.js';
import { createRevocationFetcher } from '../../shared/crypto/revocation/revocation-fetcher.js';
import { requestTimestampForDigest } from '../../shared/crypto/tsa-client.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { extendPdfFile } from '../../shared/pdf/long-term/extend-pdf.js';
import { signPdfFileAtLevel } from '../../shared/pdf/long-term/sign-at-level.js';
import { PdfDocument } from '../../shared/pdf/pdf-document.js';
import { FileSource } from '../../shared/pdf/pdf-source.js';
import { listSignatures } from '../../shared/pdf/signature-fields.js';
import { type VerifyReport, verifyPdf } from '../../shared/pdf/verify-pdf.js';
import { runCli } from '../support/cli.js';
import { getCorpus } from '../support/corpus.js';
import { type ServedCa, startServedCa } from '../support/internal-ca-server.js';
import { runTool } from '../support/run-tool.js';
import { createTestPki, type TestPki } from '../support/test-pki.js';
import { startTestTsa, type TestTsa } from '../support/tsa-server.js';
import { CERTIFICATE_TRUSTED, mutoolVerify, pdfsig, qpdfCheck, SIGNATURE_VALID } from '../support/verifiers.js';

describe('PAdES B-LT / B-LTA and archive renewal', function () {
  this.timeout(300_000);
  let pki: TestPki;
  let ca: ServedCa;
  let tsa: TestTsa;
  let dir: string;
  let base: string;
  const files: Record<string, string> = {};

  before(async () => {
    const [p, corpus] = await Promise.all([createTestPki(), getCorpus()]);
    pki = p;
    base = corpus.good.find((f) => f.name === 'qpdf-objstm.pdf')!.path;
    ca = await startServedCa(pki);
    tsa = await startTestTsa(pki);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ltv-'));
  });
  after(async () => {
    await tsa?.close();
    await ca?.stop();
    ca?.cleanup();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const roots = () => [ca.root.certificate, pki.rootCertDer];
  const offline = (file: string): VerifyReport => {
    const fd = fs.openSync(file, 'r');
    try {
      return verifyPdf(new FileSource(fd), { trustRoots: roots(), revocation: 'hard-fail' });
    } finally {
      fs.closeSync(fd);
    }
  };
  const assertPdfsigValid = async (file: string, signatures: number) => {
    const report = await pdfsig(file, { nssDir: ca.nssDir });
    const signed = report.signatures.filter((s) => s.type !== 'unknown');
    assert.equal(signed.length, signatures, report.stdout);
    for (const s of signed) {
      assert.equal(s.validation, SIGNATURE_VALID, report.stdout);
      assert.equal(s.certificate, CERTIFICATE_TRUSTED, report.stdout);
    }
    return report;
  };

  it('B-LT: a DSS with the chain, CRL/OCSP and TSA chain; valid offline with revocation required', async () => {
    const mary = await ca.issue('Мария Иванова', 'maria@acme.example');
    const out = path.join(dir, 'b-lt.pdf');
    const signed = await signPdfFileAtLevel(base, out, { key: ca.keyOf(mary) }, { level: 'B-LT', tsaUrl: tsa.url });
    assert.equal(signed.sha256, createHash('sha256').update(fs.readFileSync(out)).digest('hex'));
    assert.equal(signed.outputSize, fs.statSync(out).size);
    assert.ok(
      fs.readFileSync(out).subarray(0, fs.statSync(base).size).equals(fs.readFileSync(base)),
      'input is a prefix',
    );
    const report = offline(out);
    const [sig] = report.signatures;
    assert.equal(report.signatures.length, 1);
    assert.deepEqual(sig!.problems, []);
    assert.equal(sig!.level, 'B-LT');
    assert.equal(sig!.ok, true);
    assert.equal(sig!.validationData.completeForOffline, true);
    assert.equal(sig!.validationTime.basis, 'now');
    const statuses = sig!.validationData.certificates.map((c) => `${c.subject}: ${c.status}`);
    assert.ok(
      statuses.some((line) => /CN=Мария Иванова.*: good$/.test(line)),
      statuses.join('\n'),
    );
    assert.ok(report.dss.present && report.dss.ocspResponses + report.dss.crls >= 1);
    await assertPdfsigValid(out, 1);
    assert.equal((await qpdfCheck(out)).exitCode, 0);
    files.blt = out;
  });

  it('B-LTA: a document timestamp after the DSS that pdfsig lists and openssl ts -verify accepts', async () => {
    const ivan = await ca.issue('Ivan Petrov');
    const out = path.join(dir, 'b-lta.pdf');
    // biome-ignore format: a command line reads best as one
    const cli = await runCli(['sign', base, '-o', out, '--level', 'B-LTA', '--tsa', tsa.url, '--cert-id', ivan.id, '--data-dir', ca.dir], { SIGNSERVICE_MASTER_KEY: ca.masterKeyBase64 });
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /PAdES B-LTA/);
    assert.match(cli.stdout, new RegExp(`sha256 ${createHash('sha256').update(fs.readFileSync(out)).digest('hex')}`));
    const report = offline(out);
    assert.equal(report.signatures.length, 2);
    const [sig, stamp] = report.signatures;
    assert.equal(sig!.level, 'B-LTA', JSON.stringify(sig, null, 1));
    assert.equal(stamp!.kind, 'document-timestamp');
    assert.equal(stamp!.ok && stamp!.integrity && stamp!.coversWholeDocument, true, stamp!.problems.join('; '));
    assert.ok(report.allOk);
    const listed = await assertPdfsigValid(out, 1);
    assert.ok(
      listed.signatures.some((s) => s.fieldName === 'DocTimeStamp1'),
      listed.stdout,
    );
    await assertOpensslAcceptsDocumentTimestamps(out, 1);
    files.blta = out;
  });

  it('refuses B-LT for a revoked certificate and fails (no fallback) when the TSA is unreachable', async () => {
    const gone = await ca.issue('Gone Employee');
    await revokeCertificate({
      store: ca.store,
      masterKey: ca.masterKey,
      certificate: gone.id,
      reason: 'affiliationChanged',
    });
    const out = path.join(dir, 'never.pdf');
    await assert.rejects(
      signPdfFileAtLevel(base, out, { key: ca.keyOf(gone) }, { level: 'B-LT', tsaUrl: tsa.url }),
      (e: unknown) => e instanceof AppError && e.code === ErrorCode.CERT_REVOKED && /Gone Employee/.test(e.message),
    );
    const anna = await ca.issue('Anna Smirnova');
    await assert.rejects(
      signPdfFileAtLevel(
        base,
        out,
        { key: ca.keyOf(anna) },
        { level: 'B-LTA', tsaUrl: 'http://127.0.0.1:9/tsa', timeoutMs: 2000 },
      ),
      (e: unknown) => e instanceof AppError && e.code === ErrorCode.TSA_UNAVAILABLE,
    );
    assert.equal(fs.existsSync(out), false);
    assert.deepEqual(
      fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
    );
  });

  it('extend on a three-signature chain keeps all three valid and adds a second document timestamp', async () => {
    let current = base;
    for (const [i, name] of ['Alice Approver', 'Борис Согласующий', 'Carol Final'].entries()) {
      const who = await ca.issue(name);
      const next = path.join(dir, `chain-${i + 1}.pdf`);
      await signPdfFileAtLevel(
        current,
        next,
        { key: ca.keyOf(who), position: i === 1 ? 'bottom-center' : i === 0 ? 'bottom-left' : 'bottom-right' },
        { level: 'B-T', tsaUrl: tsa.url },
      );
      current = next;
    }
    const options = () => ({
      level: 'B-LTA' as const,
      fetcher: createRevocationFetcher(),
      timestamp: (digest: Buffer) => requestTimestampForDigest(tsa.url, digest),
    });
    const first = path.join(dir, 'chain-lta.pdf');
    await extendPdfFile(current, first, options());
    const renewed = path.join(dir, 'chain-lta-renewed.pdf');
    fs.copyFileSync(first, renewed);
    const cli = await runCli(['extend', renewed, '--level', 'B-LTA', '--tsa', tsa.url]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /document timestamp DocTimeStamp2/);
    assert.ok(fs.readFileSync(renewed).subarray(0, fs.statSync(first).size).equals(fs.readFileSync(first)));

    const report = offline(renewed);
    const kinds = report.signatures.map((s) => `${s.fieldName}:${s.kind}:${s.level}:${s.ok}`);
    assert.deepEqual(kinds, [
      'Signature1:signature:B-LTA:true',
      'Signature2:signature:B-LTA:true',
      'Signature3:signature:B-LTA:true',
      'DocTimeStamp1:document-timestamp:none:true',
      'DocTimeStamp2:document-timestamp:none:true',
    ]);
    for (const s of report.signatures) assert.deepEqual(s.laterChanges.disallowed, [], s.fieldName);
    await assertPdfsigValid(renewed, 3);
    const mutool = await mutoolVerify(renewed);
    const signed = mutool.signatures.filter((s) => !/Signature is not signed/.test(s.text));
    assert.equal(signed.length, 3, mutool.output);
    assert.ok(
      signed.every((s) => s.valid),
      mutool.output,
    );
    assert.equal((await qpdfCheck(renewed)).exitCode, 0);
    await assertOpensslAcceptsDocumentTimestamps(renewed, 2);
    files.chain = renewed;
  });

  it('still verifies offline (hard-fail) and in pdfsig after the CA and the TSA are shut down', async () => {
    await ca.stop();
    await tsa.close();
    for (const [name, file] of Object.entries(files)) {
      const report = offline(file);
      assert.ok(report.allOk, `${name}: ${JSON.stringify(report.signatures.map((s) => s.problems))}`);
      assert.ok(
        report.signatures
          .filter((s) => s.kind === 'signature')
          .every((s) => s.level === (name === 'blt' ? 'B-LT' : 'B-LTA')),
      );
      const cli = await runCli([
        'verify',
        file,
        '--trust',
        ca.rootPemPath,
        '--trust',
        pki.rootCertPath,
        '--revocation',
        'hard-fail',
        '--json',
      ]);
      assert.equal(cli.code, 0, cli.stdout + cli.stderr);
      assert.ok(
        JSON.parse(cli.stdout).signatures.every(
          (s: { validationData: { completeForOffline: boolean } }) => s.validationData.completeForOffline,
        ),
      );
    }
    await assertPdfsigValid(files.blt!, 1);
    // Two years on, the signer's certificate has expired: it is judged at the signature timestamp's time, and
    // the embedded OCSP response still proves it was not revoked then.
    const fd0 = fs.openSync(files.blt!, 'r');
    const later = verifyPdf(new FileSource(fd0), {
      trustRoots: roots(),
      revocation: 'hard-fail',
      now: new Date(Date.now() + 2 * 365 * 86_400_000),
    });
    fs.closeSync(fd0);
    const aged = later.signatures[0]!;
    assert.equal(aged.validationTime.basis, 'signature-timestamp');
    assert.deepEqual(aged.validationTime.time, aged.timestamp!.time);
    assert.equal(aged.ok && aged.level === 'B-LT', true, aged.problems.join('; '));
    // Without the DSS the same signature cannot be validated offline: hard-fail refuses, soft-fail reports.
    const fd = fs.openSync(files.chain!, 'r');
    const firstRevision = PdfDocument.open(new FileSource(fd));
    const sig3End = listSignatures(firstRevision).find((s) => s.fieldName === 'Signature3')!.byteRange;
    fs.closeSync(fd);
    const bare = path.join(dir, 'without-dss.pdf');
    fs.writeFileSync(bare, fs.readFileSync(files.chain!).subarray(0, sig3End[2]! + sig3End[3]!));
    const strict = offline(bare);
    assert.equal(strict.allOk, false);
    assert.match(strict.signatures[0]!.problems.join('\n'), /revocation not established/);
    assert.equal(strict.signatures[0]!.level, 'B-T');
  });

  async function assertOpensslAcceptsDocumentTimestamps(file: string, count: number): Promise<void> {
    const bytes = fs.readFileSync(file);
    const doc = PdfDocument.open(new FileSource(fs.openSync(file, 'r')));
    const stamps = listSignatures(doc).filter((s) => s.kind === 'DocTimeStamp');
    assert.equal(stamps.length, count);
    for (const [i, stamp] of stamps.entries()) {
      const [a, b, c, d] = stamp.byteRange as [number, number, number, number];
      const data = path.join(dir, `ts-data-${i}.bin`);
      const token = path.join(dir, `ts-token-${i}.der`);
      fs.writeFileSync(data, Buffer.concat([bytes.subarray(a, a + b), bytes.subarray(c, c + d)]));
      fs.writeFileSync(token, stamp.contents);
      // biome-ignore format: a command line reads best as one
      const run = await runTool('openssl', ['ts', '-verify', '-data', data, '-in', token, '-token_in', '-CAfile', pki.rootCertPath, '-untrusted', pki.intermediateCertPath]);
      assert.equal(run.exitCode, 0, run.stdout + run.stderr);
      assert.match(run.stdout, /Verification: OK/);
    }
  }
});
