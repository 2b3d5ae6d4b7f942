/**
 * The internal CA issuing onto a PKCS#11 token (SoftHSM2), and the inventory of a token that is unplugged:
 * `ca issue --on-token`, `sign --cert-id` / `--key-id` with those keys, revocation, `cert list`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../support/cli.js';
import { getCorpus } from '../support/corpus.js';
import { createSoftHsmToken, type SoftHsmToken } from '../support/softhsm.js';
import { assertAllValidAndTrusted, pdfsig } from '../support/verifiers.js';
import { CLEAN_ENV, expectJson, expectOk, expectOneLineError, nssDbTrusting, pageText } from './cli-expect.js';

const LABEL = 'SignService CA token';
const PIN = '864200';

interface IssuedOnToken {
  id: string;
  location: { kind: string; ckaId: string; tokenLabel: string };
}

describe('signservice ca issue --on-token and cert list with an unplugged token (SoftHSM2)', function () {
  this.timeout(120_000);
  let token: SoftHsmToken;
  let dir: string;
  let data: string;
  let pdf: string;
  let tokenFlags: string[];
  let pinFile: string;
  const issued: IssuedOnToken[] = [];
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runCli([...args, '--data-dir', data], { ...CLEAN_ENV, ...token.env, ...env });
  const output = (name: string) => path.join(dir, name);

  before(async function () {
    this.timeout(300_000);
    const identities = [{ id: '01', keyType: 'ecP256' as const, cn: 'Preloaded signer' }];
    [token, pdf] = await Promise.all([
      createSoftHsmToken({ label: LABEL, pin: PIN, identities }),
      getCorpus().then((c) => c.good.find((f) => f.name === 'reportlab-classic.pdf')!.path),
    ]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-ca-token-'));
    data = path.join(dir, 'data');
    pinFile = output('pin');
    fs.writeFileSync(pinFile, `${PIN}\n`, { mode: 0o600 });
    tokenFlags = ['--pkcs11-module', token.modulePath, '--token', LABEL, '--pin-file', pinFile];
    expectOk(
      await cli([
        'ca',
        'init',
        '--cn',
        'Token Test Internal CA',
        '--key-type',
        'ec-p256',
        '--public-url',
        'http://127.0.0.1:9',
      ]),
    );
  });

  after(async () => {
    await token?.cleanup();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('generates the keys on the token and writes the certificates next to them', async () => {
    for (const keyType of ['ec-p256', 'rsa2048']) {
      const args = ['ca', 'issue', '--cn', `On Token ${keyType}`, '--org', 'Acme', '--email', 'on.token@acme.example'];
      issued.push(
        expectJson<IssuedOnToken>(await cli([...args, '--key-type', keyType, '--on-token', ...tokenFlags, '--json'])),
      );
    }
    for (const i of issued) assert.deepEqual([i.location.kind, i.location.tokenLabel], ['token', LABEL]);
    type Listed = { ckaId: string; id: string; hasPrivateKey: boolean; internalUse: boolean; status: string };
    const listed = expectJson<{ certificates: Listed[] }>(
      await cli(['token', 'list', ...tokenFlags, '--json']),
    ).certificates;
    assert.equal(listed.length, 3);
    for (const i of issued) {
      const c = listed.find((l) => l.ckaId === i.location.ckaId);
      assert.ok(c?.hasPrivateKey && c.internalUse && c.status === 'valid', JSON.stringify(c));
      assert.equal(c.id, i.id);
    }
  });

  it('signs with them (--cert-id with only the PIN file, and --key-id): trusted, stamped "internal use"', async () => {
    const exported = output('root');
    expectOk(await cli(['ca', 'export-root', '-o', exported]));
    const nssDir = await nssDbTrusting(output('nss'), path.join(exported, 'root.pem'));
    // Module and token come from the certificate's record; only the PIN is given.
    const byCertId = output('by-cert-id.pdf');
    expectOk(await cli(['sign', pdf, '-o', byCertId, '--cert-id', issued[0]!.id, '--pin-file', pinFile]));
    assertAllValidAndTrusted(await pdfsig(byCertId, { nssDir }), 1);
    assert.match(await pageText(byCertId), /\(internal use\)/);
    const byKeyId = output('by-key-id.pdf');
    expectOk(await cli(['sign', pdf, '-o', byKeyId, ...tokenFlags, '--key-id', issued[1]!.location.ckaId]));
    assertAllValidAndTrusted(await pdfsig(byKeyId, { nssDir }), 1);
    assert.match(await pageText(byKeyId), /\(internal use\)/);
  });

  it('refuses a revoked on-token certificate whichever way the key is named', async () => {
    expectOk(await cli(['ca', 'revoke', issued[1]!.id]));
    const out = output('revoked.pdf');
    const viaKeyId = await cli(['sign', pdf, '-o', out, ...tokenFlags, '--key-id', issued[1]!.location.ckaId]);
    expectOneLineError(viaKeyId, 65, /revoked/, out);
    expectOneLineError(
      await cli(['sign', pdf, '-o', out, ...tokenFlags, '--cert-id', issued[1]!.id]),
      65,
      /revoked/,
      out,
    );
  });

  it('cert list merges token and CA; an unplugged token shows its remembered certificates as token-absent', async () => {
    type Entry = { id: string; status: string; internalUse: boolean; location: { kind: string } };
    const present = expectJson<{ certificates: Entry[] }>(
      await cli(['cert', 'list', ...tokenFlags, '--json']),
    ).certificates;
    assert.deepEqual(present.map((c) => c.status).sort(), ['revoked', 'valid', 'valid']);
    assert.equal(present.filter((c) => c.internalUse).length, 2);

    // A SoftHSM2 configuration without tokens: for the CLI the token is unplugged.
    const empty = output('empty-tokens');
    fs.mkdirSync(empty);
    const conf = output('empty.conf');
    fs.writeFileSync(conf, `directories.tokendir = ${empty}\nobjectstore.backend = file\nlog.level = ERROR\n`);
    const unplugged = { SOFTHSM2_CONF: conf };
    const r = await cli(['cert', 'list', ...tokenFlags, '--json'], unplugged);
    const absent = expectJson<{ certificates: Entry[] }>(r).certificates;
    assert.deepEqual(absent.map((c) => c.status).sort(), ['revoked', 'token-absent', 'token-absent']);
    assert.match(r.stderr, /warning: .*not present.*Showing its certificates as of/);
    const table = await cli(['cert', 'list', ...tokenFlags], unplugged);
    assert.match(table.stdout, /token "SignService CA token" \(absent\)/);

    const preloaded = present.find((c) => !c.internalUse)!;
    const out = output('absent.pdf');
    const sign = await cli(['sign', pdf, '-o', out, ...tokenFlags, '--cert-id', preloaded.id], unplugged);
    expectOneLineError(sign, 69, /not present; plug it in/, out);
    expectOneLineError(await cli(['token', 'list', ...tokenFlags], unplugged), 69, /not present/);
  });
});
