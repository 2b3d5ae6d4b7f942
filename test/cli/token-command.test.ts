/**
 * `signservice token list`, `cert list` and `sign` with token keys, on a SoftHSM2 token made for this run
 * holding 12 certificates (RSA 2048, RSA 3072, EC P-256) plus one without a key and one expired.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { finalizeAllPkcs11Modules } from '../../shared/crypto/pkcs11/pkcs11-module.js';
import { runCli } from '../support/cli.js';
import { getCorpus } from '../support/corpus.js';
import { createSoftHsmToken, type SoftHsmIdentitySpec, type SoftHsmToken } from '../support/softhsm.js';
import { assertAllValidAndTrusted, pdfsig } from '../support/verifiers.js';
import { CLEAN_ENV, expectJson, expectOk, expectOneLineError } from './cli-expect.js';

const LABEL = 'SignService CLI token';
const PIN = '357911';
const KEY_TYPES = ['rsa2048', 'rsa3072', 'ecP256'] as const;
const KEY_NAMES = { rsa2048: 'RSA 2048', rsa3072: 'RSA 3072', ecP256: 'EC P-256' } as const;
const SIGNERS: SoftHsmIdentitySpec[] = Array.from({ length: 12 }, (_, i) => ({
  id: (0xb0 + i).toString(16),
  keyType: KEY_TYPES[i % 3]!,
  cn: `Token Signer ${i + 1}`,
}));
const UNPAIRED: SoftHsmIdentitySpec = {
  id: 'c0ffee',
  keyType: 'rsa2048',
  cn: 'Certificate without key',
  withKey: false,
};
const EXPIRED: SoftHsmIdentitySpec = { id: 'dead', keyType: 'ecP256', cn: 'Expired signer', expired: true };

interface ListedCertificate {
  ckaId: string;
  label: string;
  hasPrivateKey: boolean;
  id: string;
  status: string;
  keyType: string;
  internalUse: boolean;
}

describe('signservice token list / sign with a PKCS#11 token (SoftHSM2)', function () {
  this.timeout(120_000);
  let token: SoftHsmToken;
  let dir: string;
  let pdf: string;
  let pinFile: string;
  let listed: ListedCertificate[];
  let tokenFlags: string[];
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { ...CLEAN_ENV, ...token.env, ...env });
  const output = (name: string) => path.join(dir, name);

  before(async function () {
    this.timeout(300_000);
    const [made, corpus] = await Promise.all([
      createSoftHsmToken({ label: LABEL, pin: PIN, identities: [...SIGNERS, UNPAIRED, EXPIRED] }),
      getCorpus(),
    ]);
    token = made;
    pdf = corpus.good.find((f) => f.name === 'reportlab-classic.pdf')!.path;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-token-'));
    pinFile = path.join(dir, 'pin');
    fs.writeFileSync(pinFile, `${PIN}\n`, { mode: 0o600 });
    tokenFlags = ['--pkcs11-module', token.modulePath, '--token', LABEL, '--pin-file', pinFile];
  });

  after(async () => {
    finalizeAllPkcs11Modules(); // nothing is loaded in this process; the children finalize their own
    await token?.cleanup();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('prints help for token and token list', async () => {
    for (const args of [
      ['token', '--help'],
      ['token', 'list', '--help'],
      ['sign', '--help'],
    ]) {
      const r = await cli(args);
      expectOk(r);
      assert.match(r.stdout, /Usage: signservice/);
      assert.match(r.stdout, /--pkcs11-module PATH/);
    }
  });

  it('token list shows all 12 certificates paired with their keys (JSON and table)', async () => {
    const out = expectJson<{ token: { label: string; serial: string }; certificates: ListedCertificate[] }>(
      await cli(['token', 'list', ...tokenFlags, '--json']),
    );
    assert.equal(out.token.label, LABEL);
    assert.match(out.token.serial, /^[0-9a-f]+$/);
    listed = out.certificates;
    assert.equal(listed.length, 14);
    for (const spec of SIGNERS) {
      const c = listed.find((l) => l.ckaId === spec.id);
      assert.ok(c, `CKA_ID ${spec.id} missing`);
      assert.equal(c.hasPrivateKey, true, `${spec.id} not paired`);
      assert.equal(c.status, 'valid');
      assert.equal(c.label, spec.cn);
      assert.equal(c.keyType, KEY_NAMES[spec.keyType]);
      assert.match(c.id, /^[0-9a-f]{64}$/);
    }
    assert.equal(listed.find((l) => l.ckaId === UNPAIRED.id)?.status, 'key-missing');
    assert.equal(listed.find((l) => l.ckaId === EXPIRED.id)?.status, 'expired');

    const human = await cli(['token', 'list', ...tokenFlags]);
    expectOk(human);
    assert.match(human.stdout, /: 14 certificate\(s\), 13 with a private key/);
    for (const spec of SIGNERS) {
      assert.match(
        human.stdout,
        new RegExp(`^${spec.id}\\s+yes\\s+${KEY_NAMES[spec.keyType]}\\s+\\S+\\s+valid\\s`, 'm'),
      );
    }
    assert.match(human.stdout, /^c0ffee\s+NO\s+RSA 2048\s+\S+\s+key-missing/m);
  });

  it('reads the token from the environment; flags override it', async () => {
    const env = {
      SIGNSERVICE_PKCS11_MODULE: token.modulePath,
      SIGNSERVICE_TOKEN_LABEL: LABEL,
      SIGNSERVICE_TOKEN_PIN_FILE: pinFile,
    };
    assert.equal(
      expectJson<{ certificates: unknown[] }>(await cli(['token', 'list', '--json'], env)).certificates.length,
      14,
    );
    const wrongLabel = { ...env, SIGNSERVICE_TOKEN_LABEL: 'Some other token' };
    expectOneLineError(await cli(['token', 'list'], wrongLabel), 69, /not present/);
    expectOk(await cli(['token', 'list', '--token', LABEL], wrongLabel));
  });

  it('signs with each of the 12 keys (--key-id and --cert-id); pdfsig reports every signature valid and trusted', async () => {
    for (const [i, spec] of SIGNERS.entries()) {
      const out = output(`signed-${spec.id}.pdf`);
      const id = listed.find((l) => l.ckaId === spec.id)!.id;
      const key = i % 2 === 0 ? ['--key-id', spec.id] : ['--cert-id', id.slice(0, 16)];
      const r = await cli(['sign', pdf, '-o', out, ...tokenFlags, ...key, '--invisible']);
      expectOk(r);
      const report = await pdfsig(out, { nssDir: token.nssDir });
      assertAllValidAndTrusted(report, 1);
      assert.equal(report.signatures[0]!.commonName, spec.cn);
    }
  });

  it('refuses bad token input with one specific line each and no output file', async () => {
    const out = output('bad.pdf');
    const badPin = output('bad-pin');
    fs.writeFileSync(badPin, '000000\n');
    const sign = (...args: string[]) => cli(['sign', pdf, '-o', out, ...args]);
    const flags = (over: Record<string, string>) => {
      const f: Record<string, string> = {
        '--pkcs11-module': token.modulePath,
        '--token': LABEL,
        '--pin-file': pinFile,
        ...over,
      };
      return Object.entries(f).flat();
    };
    expectOneLineError(
      await sign(...flags({ '--pin-file': badPin }), '--key-id', 'b0'),
      77,
      /PIN .* was rejected \(CKR_PIN_INCORRECT\)/,
      out,
    );
    expectOneLineError(
      await sign(...flags({ '--pkcs11-module': '/nonexistent/libpkcs11.so' }), '--key-id', 'b0'),
      69,
      /cannot be loaded/,
      out,
    );
    expectOneLineError(
      await sign(...flags({ '--token': 'Absent token' }), '--key-id', 'b0'),
      69,
      /"Absent token" is not present/,
      out,
    );
    expectOneLineError(await sign(...tokenFlags, '--key-id', UNPAIRED.id), 65, /has no private key/, out);
    expectOneLineError(await sign(...tokenFlags, '--key-id', EXPIRED.id), 65, /expired on/, out);
    const expiredId = listed.find((l) => l.ckaId === EXPIRED.id)!.id;
    expectOneLineError(await sign(...tokenFlags, '--cert-id', expiredId), 65, /expired on/, out);
    const unpairedId = listed.find((l) => l.ckaId === UNPAIRED.id)!.id;
    expectOneLineError(await sign(...tokenFlags, '--cert-id', unpairedId), 65, /has no private key/, out);
    expectOneLineError(await sign('--key-id', 'b0'), 64, /--key-id needs a token/, out);
    expectOneLineError(
      await sign(...flags({ '--pin-file': output('no-such-pin') }), '--key-id', 'b0'),
      74,
      /PIN file/,
      out,
    );
    expectOneLineError(await sign(...tokenFlags, '--key-id', 'b0', '--cert-id', 'abcdef12'), 64, /one key source/, out);
    // The PIN never appears in any output.
    const r = await sign(...flags({ '--pin-file': badPin }), '--key-id', 'b0');
    assert.ok(!r.stderr.includes('000000') && !r.stderr.includes(PIN));
  });
});
