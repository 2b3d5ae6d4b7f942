/** `signservice sign` / `verify` as an operator uses them, including every kind of bad input. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../support/cli.js';
import { getCorpus } from '../support/corpus.js';
import { createTestPki, type TestPki } from '../support/test-pki.js';
import { pdfsig } from '../support/verifiers.js';

describe('signservice sign / verify (CLI)', function () {
  this.timeout(120_000);
  let pki: TestPki;
  let corpus: Awaited<ReturnType<typeof getCorpus>>;
  let dir: string;
  let good: string;
  const p12 = (id: keyof TestPki['identities']) => [
    '--p12',
    pki.identities[id].p12Path,
    '--p12-password',
    pki.identities[id].p12Password,
  ];

  before(async function () {
    this.timeout(300_000);
    [pki, corpus] = await Promise.all([createTestPki(), getCorpus()]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-sign-'));
    good = corpus.good.find((f) => f.name === 'reportlab-classic.pdf')!.path;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints help for every command', async () => {
    for (const args of [['--help'], ['sign', '--help'], ['verify', '--help']]) {
      const r = await runCli(args);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Usage: signservice/);
    }
  });

  it('signs with a PKCS#12 file and with PEM key + certificate + chain; verify exits 0', async () => {
    const a = path.join(dir, 'a.pdf');
    const r1 = await runCli(['sign', good, '-o', a, ...p12('rsa2048'), '--reason', 'Approved', '--location', 'Moscow']);
    assert.equal(r1.code, 0, r1.stderr);
    const id = pki.identities.ecP256;
    const b = path.join(dir, 'b.pdf');
    const r2 = await runCli([
      'sign',
      a,
      '-o',
      b,
      '--key',
      id.keyPath,
      '--cert',
      id.certPath,
      '--chain',
      id.chainPath,
      '--position',
      'top-left',
      '--page',
      'first',
    ]);
    assert.equal(r2.code, 0, r2.stderr);
    const v = await runCli(['verify', b, '--trust', pki.rootCertPath]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.equal(v.stdout.match(/: INTACT/g)?.length, 2, v.stdout);
    const report = await pdfsig(b, { nssDir: pki.nssDir });
    assert.deepEqual(
      report.signatures.map((s) => s.validation),
      ['Signature is Valid.', 'Signature is Valid.'],
    );
  });

  it('verify exits 1 for an untrusted root and for a file without signatures', async () => {
    const a = path.join(dir, 'u.pdf');
    assert.equal((await runCli(['sign', good, '-o', a, ...p12('rsa2048'), '--invisible'])).code, 0);
    // The corpus has its own, unrelated CA.
    const untrusted = await runCli(['verify', a, '--trust', corpus.caCert]);
    assert.equal(untrusted.code, 1, untrusted.stdout);
    assert.match(untrusted.stdout, /NOT trusted/);
    const unsigned = await runCli(['verify', good]);
    assert.equal(unsigned.code, 1);
    assert.match(unsigned.stderr, /has no signatures/);
  });

  const badCases: [string, () => string[], RegExp][] = [
    ['an empty file', () => [corpus.bad.empty!], /empty \(0 bytes\)/],
    ['a file that is not a PDF', () => [corpus.bad['not-a-pdf']!], /not a PDF/],
    ['a truncated file', () => [corpus.bad.truncated!], /truncated or damaged/],
    ['a wrong startxref', () => [corpus.bad['wrong-startxref']!], /wrong startxref|cross-reference/],
    ['an encrypted PDF', () => [corpus.bad.encrypted!], /encrypted/],
    ['a damaged cross-reference table', () => [corpus.bad['damaged-xref']!], /cross-reference data is damaged/],
    ['a page out of range', () => [good, '--page', '99'], /Page 99 does not exist: the document has 3 pages/],
    ['a missing input file', () => [path.join(dir, 'nope.pdf')], /cannot read|Cannot read/],
  ];
  for (const [label, args, message] of badCases) {
    it(`refuses ${label} with a specific error and no output file`, async () => {
      const out = path.join(dir, `bad-${label.replace(/\W+/g, '-')}.pdf`);
      const [input, ...rest] = args();
      const r = await runCli(['sign', input!, '-o', out, ...p12('rsa2048'), ...rest]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line on stderr: ${r.stderr}`);
      assert.equal(fs.existsSync(out), false, 'the output file must not be created');
      assert.deepEqual(
        fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')),
        [],
        'no temporary file left',
      );
    });
  }

  it('refuses a wrong PKCS#12 password', async () => {
    const out = path.join(dir, 'pw.pdf');
    const r = await runCli([
      'sign',
      good,
      '-o',
      out,
      '--p12',
      pki.identities.rsa2048.p12Path,
      '--p12-password',
      'wrong',
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /PKCS#12 password is wrong/);
    assert.equal(fs.existsSync(out), false);
  });

  it('refuses an expired certificate', async () => {
    const out = path.join(dir, 'expired.pdf');
    const r = await runCli(['sign', good, '-o', out, ...p12('expired')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /expired/i);
    assert.equal(fs.existsSync(out), false);
  });

  it('refuses to endorse a document whose existing signature no longer verifies, unless told to', async () => {
    const signed = path.join(dir, 'to-tamper.pdf');
    assert.equal((await runCli(['sign', good, '-o', signed, ...p12('rsa2048')])).code, 0);
    const bytes = fs.readFileSync(signed);
    // Change one character of the visible text inside the signed range: the signature must break.
    const at = bytes.indexOf('%PDF-1.');
    bytes[at + 7] = bytes[at + 7] === 0x34 ? 0x35 : 0x34;
    const tampered = path.join(dir, 'tampered.pdf');
    fs.writeFileSync(tampered, bytes);
    const out = path.join(dir, 'endorsed.pdf');
    const r = await runCli(['sign', tampered, '-o', out, ...p12('ecP256')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Existing signature 1 .* does not verify/);
    assert.equal(fs.existsSync(out), false);
    const forced = await runCli(['sign', tampered, '-o', out, ...p12('ecP256'), '--allow-invalid-existing']);
    assert.equal(forced.code, 0, forced.stderr);
    const v = await runCli(['verify', out, '--trust', pki.rootCertPath]);
    assert.equal(v.code, 1, 'verify must still report the broken first signature');
  });
});
