/** Where the CLI's internal CA gets its master key, and what a wrong one does. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../support/cli.js';
import { getCorpus } from '../support/corpus.js';
import { CLEAN_ENV, expectJson, expectOk, expectOneLineError } from './cli-expect.js';

describe('signservice ca with SIGNSERVICE_MASTER_KEY / SIGNSERVICE_MASTER_KEY_FILE', function () {
  this.timeout(120_000);
  let dir: string;
  let data: string;
  let pdf: string;
  let env: NodeJS.ProcessEnv;
  let certId: string;
  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    runCli([...args, '--data-dir', data], { ...CLEAN_ENV, ...env, ...extra });

  before(async function () {
    this.timeout(300_000);
    pdf = (await getCorpus()).good.find((f) => f.name === 'reportlab-classic.pdf')!.path;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-ca-key-'));
    data = path.join(dir, 'data');
    const keyFile = path.join(dir, 'external.key');
    fs.writeFileSync(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    env = { SIGNSERVICE_MASTER_KEY_FILE: keyFile };
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('uses the key file named by the environment and the public URL from PUBLIC_BASE_URL; writes no key file', async () => {
    const init = ['ca', 'init', '--cn', 'Second CA', '--key-type', 'ec-p256', '--json'];
    const r = await cli(init, { PUBLIC_BASE_URL: 'https://sign.example.com/' });
    assert.equal(expectJson<{ publicBaseUrl: string }>(r).publicBaseUrl, 'https://sign.example.com');
    assert.equal(r.stderr, '');
    assert.equal(fs.existsSync(path.join(data, 'master.key')), false);
    certId = expectJson<{ id: string }>(
      await cli(['ca', 'issue', '--cn', 'A', '--org', 'B', '--email', 'a@b.example', '--json']),
    ).id;
    expectOk(await cli(['sign', pdf, '-o', path.join(dir, 'signed.pdf'), '--cert-id', certId, '--invisible']));
    // the data directory can come from the environment too
    const listed = await runCli(['cert', 'list', '--json'], { ...CLEAN_ENV, ...env, SIGNSERVICE_DATA_DIR: data });
    assert.equal(expectJson<{ certificates: unknown[] }>(listed).certificates.length, 1);
  });

  it('refuses another master key (MASTER_KEY_INVALID, exit 78) for signing, issuing and CRLs', async () => {
    const out = path.join(dir, 'x.pdf');
    const other = { SIGNSERVICE_MASTER_KEY: randomBytes(32).toString('base64') };
    expectOneLineError(
      await cli(['sign', pdf, '-o', out, '--cert-id', certId], other),
      78,
      /encrypted under master key/,
      out,
    );
    expectOneLineError(
      await cli(['ca', 'issue', '--cn', 'Z', '--org', 'Z', '--email', 'z@z.example'], other),
      78,
      /master key/,
    );
    expectOneLineError(
      await cli(['ca', 'crl', '-o', out], { SIGNSERVICE_MASTER_KEY: 'c2hvcnQ=' }),
      78,
      /32 bytes/,
      out,
    );
    const missing = { SIGNSERVICE_MASTER_KEY_FILE: path.join(dir, 'no-such.key') };
    expectOneLineError(await cli(['sign', pdf, '-o', out, '--cert-id', certId], missing), 78, /does not exist/, out);
  });
});
