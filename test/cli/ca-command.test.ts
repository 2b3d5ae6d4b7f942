/** `signservice ca *`, `cert list` and `sign --cert-id` with the internal CA, as an operator runs them. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliConfig } from '../../shared/cli/cli-config.js';
import { openCliStore } from '../../shared/cli/cli-store.js';
import { runCli } from '../support/cli.js';
import { getCorpus } from '../support/corpus.js';
import { runTool } from '../support/run-tool.js';
import { assertAllValidAndTrusted, pdfsig } from '../support/verifiers.js';
import { CLEAN_ENV, expectJson, expectOk, expectOneLineError, nssDbTrusting, pageText } from './cli-expect.js';

interface Issued {
  id: string;
  serialNumber: string;
  subject: string;
}

describe('signservice ca / cert list / sign --cert-id (internal CA)', function () {
  this.timeout(120_000);
  let dir: string;
  let data: string;
  let pdf: string;
  let mary: Issued;
  let ivan: Issued;
  let nssDir: string;
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { ...CLEAN_ENV, ...env });
  const inData = (args: string[], env: NodeJS.ProcessEnv = {}) => cli([...args, '--data-dir', data], env);

  before(async function () {
    this.timeout(300_000);
    const corpus = await getCorpus();
    pdf = corpus.good.find((f) => f.name === 'reportlab-classic.pdf')!.path;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-ca-'));
    data = path.join(dir, 'data');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints help for ca, each ca command, cert and cert list', async () => {
    const commands = [
      ['ca'],
      ['ca', 'init'],
      ['ca', 'issue'],
      ['ca', 'revoke'],
      ['ca', 'crl'],
      ['ca', 'export-root'],
      ['cert'],
      ['cert', 'list'],
      ['cert', 'name'],
    ];
    for (const args of commands) {
      const r = await cli([...args, '--help']);
      expectOk(r);
      assert.match(r.stdout, /Usage: signservice/, args.join(' '));
    }
    const main = await cli(['--help']);
    for (const name of ['token', 'cert', 'ca']) assert.match(main.stdout, new RegExp(`^  ${name} `, 'm'));
  });

  it('refuses to issue, revoke or export before `ca init` (CA_NOT_INITIALIZED) and creates nothing', async () => {
    // No data directory at all: a wrong folder or setting, not a CA to make ("ca init" would make a second one).
    const nowhere = await inData(['ca', 'issue', '--cn', 'X', '--org', 'Y', '--email', 'x@y.example']);
    expectOneLineError(nowhere, 66, new RegExp(`No SignService data directory at ${data} \\(--data-dir\\)`));
    assert.equal(fs.existsSync(data), false);
    fs.mkdirSync(data, { mode: 0o700 });
    const issue = await inData(['ca', 'issue', '--cn', 'X', '--org', 'Y', '--email', 'x@y.example']);
    expectOneLineError(issue, 78, /no root yet.*ca init/);
    expectOneLineError(await inData(['ca', 'revoke', '0123abcd']), 78, /ca init/);
    expectOneLineError(await inData(['ca', 'export-root', '-o', path.join(dir, 'nothing')]), 78, /ca init/);
    assert.equal(fs.existsSync(path.join(data, 'master.key')), false);
  });

  it('ca init creates the root and a 0600 master key file with a warning; a second init is refused', async () => {
    const r = await inData([
      'ca',
      'init',
      '--cn',
      'Acme Internal CA',
      '--org',
      'ООО Акме',
      '--country',
      'RU',
      '--key-type',
      'ec-p256',
      '--public-url',
      'http://127.0.0.1:9',
      '--json',
    ]);
    const out = expectJson<{ subject: string; masterKeyId: string; publicBaseUrl: string; keyType: string }>(r);
    assert.equal(out.subject, 'CN=Acme Internal CA,O=ООО Акме,C=RU');
    assert.equal(out.keyType, 'ec-p256');
    assert.equal(out.publicBaseUrl, 'http://127.0.0.1:9');
    assert.match(r.stderr, /WARNING: created a new master key in .*master\.key/);
    assert.match(out.masterKeyId, /^[0-9a-f]{8}$/);
    const keyFile = path.join(data, 'master.key');
    assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
    assert.ok(!r.stdout.includes(fs.readFileSync(keyFile, 'utf8').trim()), 'the key itself is never printed');
    expectOneLineError(await inData(['ca', 'init', '--cn', 'Again']), 73, /already has a root/);
  });

  it('ca issue issues user certificates (JSON and human output)', async () => {
    mary = expectJson<Issued>(
      await inData([
        'ca',
        'issue',
        '--cn',
        'Мария Иванова',
        '--org',
        'ООО Акме',
        '--email',
        'maria@acme.example',
        '--json',
      ]),
    );
    assert.match(mary.id, /^[0-9a-f]{64}$/);
    assert.equal(mary.subject, 'E=maria@acme.example,CN=Мария Иванова,O=ООО Акме');
    const human = await inData([
      'ca',
      'issue',
      '--cn',
      'Ivan Petrov',
      '--org',
      'Acme',
      '--email',
      'ivan@acme.example',
      '--key-type',
      'ec-p256',
    ]);
    expectOk(human);
    assert.match(human.stdout, /^Issued "E=ivan@acme.example,CN=Ivan Petrov,O=Acme" \(EC P-256, serial [0-9A-F]+/);
    const id = /^Id: ([0-9a-f]{64})$/m.exec(human.stdout)![1]!;
    ivan = {
      id,
      serialNumber: /serial ([0-9A-F]+)/.exec(human.stdout)![1]!,
      subject: 'E=ivan@acme.example,CN=Ivan Petrov,O=Acme',
    };
    expectOneLineError(await inData(['ca', 'issue', '--cn', 'No Mail', '--org', 'Acme']), 64, /--email/);
    expectOneLineError(
      await inData(['ca', 'issue', '--cn', 'X', '--org', 'Y', '--email', 'x@y.example', '--key-type', 'dsa']),
      64,
      /--key-type/,
    );
  });

  it('cert list shows both, valid and internal use (JSON and table)', async () => {
    const listed = expectJson<{
      certificates: { id: string; status: string; internalUse: boolean; location: { kind: string } }[];
    }>(await inData(['cert', 'list', '--json']));
    assert.deepEqual(listed.certificates.map((c) => c.id).sort(), [mary.id, ivan.id].sort());
    for (const c of listed.certificates) {
      assert.equal(c.status, 'valid');
      assert.equal(c.internalUse, true);
      assert.equal(c.location.kind, 'internal');
    }
    const table = await inData(['cert', 'list']);
    expectOk(table);
    assert.match(
      table.stdout,
      new RegExp(
        `^${mary.id.slice(0, 16)}\\s+valid\\s+RSA 2048\\s+\\S+\\s+internal CA .*Мария Иванова.*\\[internal use\\]$`,
        'm',
      ),
    );
  });

  it('cert name gives a certificate a display name (recorded in the store and the sign log) and --clear removes it', async () => {
    // The names live in the store, which `ca init` does not make.
    expectOk(await inData(['init']));
    const named = await inData(['cert', 'name', mary.id.slice(0, 12), 'Печать бухгалтерии']);
    expectOk(named);
    assert.match(named.stdout, new RegExp(`Named ${mary.id}: "Печать бухгалтерии"`));
    const readNames = async () => {
      const { store } = await openCliStore(cliConfig(data, { ...process.env, ...CLEAN_ENV }));
      try {
        const names = await store.certificateNames.list();
        const log = [];
        for await (const e of store.signLog.list()) if (e.action === 'certificate_named') log.push(e);
        return { names: names.map((n) => [n.certId, n.name]), log };
      } finally {
        await store.close();
      }
    };
    const first = await readNames();
    assert.deepEqual(first.names, [[mary.id, 'Печать бухгалтерии']]);
    assert.equal(first.log.length, 1);
    assert.equal(first.log[0]?.certificate?.id, mary.id);
    expectOk(await inData(['cert', 'name', mary.id, '--clear']));
    assert.deepEqual((await readNames()).names, []);
    expectOneLineError(await inData(['cert', 'name', 'deadbeefdead', 'X']), 65, /No certificate with id deadbeefdead/);
    expectOneLineError(await inData(['cert', 'name', mary.id]), 64, /NAME or --clear/);
    expectOneLineError(await inData(['cert', 'name', mary.id, 'x'.repeat(81)]), 64, /at most 80/);
  });

  it('ca export-root writes root.pem, root.der and INSTALL-ROOT.txt; pdfsig trusts a --cert-id signature once the root is in NSS', async () => {
    const out = path.join(dir, 'export');
    const exported = expectJson<{ fingerprintSha256: string }>(
      await inData(['ca', 'export-root', '-o', out, '--json']),
    );
    assert.deepEqual(fs.readdirSync(out).sort(), ['INSTALL-ROOT.txt', 'root.der', 'root.pem']);
    const der = await runTool('openssl', ['x509', '-in', path.join(out, 'root.pem'), '-outform', 'DER']);
    assert.equal(der.exitCode, 0, der.stderr);
    assert.ok(fs.readFileSync(path.join(out, 'INSTALL-ROOT.txt'), 'utf8').includes(exported.fingerprintSha256));
    nssDir = await nssDbTrusting(path.join(dir, 'nss'), path.join(out, 'root.pem'));

    const signed = path.join(dir, 'mary.pdf');
    const r = await inData(['sign', pdf, '-o', signed, '--cert-id', mary.id.slice(0, 12), '--json']);
    assert.equal(expectJson<{ internalUse: boolean }>(r).internalUse, true);
    const report = await pdfsig(signed, { nssDir });
    assertAllValidAndTrusted(report, 1);
    assert.equal(report.signatures[0]!.commonName, 'Мария Иванова');
    assert.match(await pageText(signed), /Issuer: Acme Internal CA \(internal use\)/);

    const ru = path.join(dir, 'ivan-ru.pdf');
    expectOk(await inData(['sign', signed, '-o', ru, '--cert-id', ivan.id, '--lang', 'ru', '--position', 'top-left']));
    assertAllValidAndTrusted(await pdfsig(ru, { nssDir }), 2);
    // The stamp wraps long lines (at 7 pt or more) instead of shrinking them: the words may sit on two lines.
    assert.match(await pageText(ru), /Издатель:\s+Acme\s+Internal\s+CA\s+\(для\s+внутреннего\s+использования\)/);
  });

  it('ca revoke makes sign refuse the certificate (CERT_REVOKED); the CRL lists its serial; unknown ids are refused', async () => {
    const revoked = expectJson<{ serialNumber: string; reason: string }>(
      await inData(['ca', 'revoke', mary.serialNumber, '--reason', 'keyCompromise', '--json']),
    );
    assert.equal(revoked.serialNumber, mary.serialNumber);
    const out = path.join(dir, 'revoked.pdf');
    expectOneLineError(
      await inData(['sign', pdf, '-o', out, '--cert-id', mary.id]),
      65,
      /is revoked; it cannot sign/,
      out,
    );
    expectOneLineError(await inData(['ca', 'revoke', mary.id]), 65, /already revoked/);

    const crl = path.join(dir, 'crl.der');
    const written = await inData(['ca', 'crl', '-o', crl]);
    expectOk(written);
    assert.match(written.stdout, /1 revoked certificate/);
    const text = await runTool('openssl', ['crl', '-inform', 'DER', '-in', crl, '-noout', '-text']);
    assert.equal(text.exitCode, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`Serial Number: ${mary.serialNumber}`));
    assert.match(text.stdout, /Key Compromise/);
    assert.doesNotMatch(text.stdout, new RegExp(ivan.serialNumber));

    const listed = expectJson<{ certificates: { id: string; status: string }[] }>(
      await inData(['cert', 'list', '--json']),
    );
    assert.equal(listed.certificates.find((c) => c.id === mary.id)?.status, 'revoked');
    assert.equal(listed.certificates.find((c) => c.id === ivan.id)?.status, 'valid');
    const none = path.join(dir, 'none.pdf');
    expectOneLineError(
      await inData(['sign', pdf, '-o', none, '--cert-id', 'ffffffffffffffff']),
      65,
      /No certificate with id ffffffffffffffff/,
      none,
    );
    expectOneLineError(await inData(['sign', pdf, '-o', none, '--cert-id', 'abc']), 64, /8 to 64 hex digits/, none);
  });
});
