/**
 * The bundled CLI (dist/cli/signservice.mjs, made by `npm run build`, what the package's `bin` runs) works
 * like the unbundled one and keeps loading only what a command needs: `sign` reads a handful of files and
 * none of the heavy packages that other commands use.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI } from '../support/cli.js';
import { getCorpus } from '../support/corpus.js';
import { createTestPki, type TestPki } from '../support/test-pki.js';
import { pdfsig } from '../support/verifiers.js';

const BUNDLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../cli/signservice.mjs');

/** A module hook that prints every file the process loads (ESM and the CommonJS entries it imports). */
const LOAD_TRACE = `data:text/javascript,${encodeURIComponent(
  'import { register } from "node:module";' +
    'register("data:text/javascript," + encodeURIComponent(' +
    '"export async function load(url, context, next) {' +
    ' if (url.startsWith(\\"file:\\")) process.stderr.write(\\"LOADED \\" + url + \\"\\\\n\\");' +
    ' return next(url, context); }"));',
)}`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  loaded: string[];
}

function runBundle(args: string[], trace = false): Promise<Run> {
  const nodeArgs = trace ? ['--import', LOAD_TRACE, BUNDLE, ...args] : [BUNDLE, ...args];
  return new Promise((resolve) => {
    execFile(process.execPath, nodeArgs, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      const loaded = stderr
        .split('\n')
        .filter((l) => l.startsWith('LOADED '))
        .map((l) => fileURLToPath(l.slice(7)));
      resolve({ code, stdout, stderr: stderr.replace(/^LOADED .*\n/gm, ''), loaded });
    });
  });
}

/** Packages a `sign` with a PKCS#12 file must not load (each belongs to another command or path). */
const NOT_FOR_SIGN = ['zod', 'amqplib', 'mongodb', 'better-sqlite3', 'nodemailer', 'handlebars', 'qrcode', 'pkcs11js'];

describe('the bundled signservice CLI (the bin)', function () {
  this.timeout(120_000);
  let pki: TestPki;
  let dir: string;
  let good: string;

  before(async function () {
    this.timeout(300_000);
    assert.ok(fs.existsSync(BUNDLE), `${BUNDLE} is missing: run \`npm run build\` (tsc, then the bundler)`);
    const stale = fs.statSync(BUNDLE).mtimeMs < fs.statSync(CLI).mtimeMs;
    assert.ok(!stale, `${BUNDLE} is older than ${CLI}: run \`npm run build\` so the bundle holds the current code`);
    const [testPki, corpus] = await Promise.all([createTestPki(), getCorpus()]);
    pki = testPki;
    good = corpus.good.find((f) => f.name === 'reportlab-classic.pdf')!.path;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-bundle-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is the package bin', () => {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(path.dirname(CLI), '../../../package.json'), 'utf8'));
    assert.equal(path.resolve(path.dirname(CLI), '../../..', pkg.bin.signservice), BUNDLE);
  });

  it('signs with a visible stamp and verifies, loading few files and none of the other commands` packages', async () => {
    const out = path.join(dir, 'signed.pdf');
    const id = pki.identities.rsa2048;
    const sign = await runBundle(
      ['sign', good, '-o', out, '--p12', id.p12Path, '--p12-password', id.p12Password],
      true,
    );
    assert.equal(sign.code, 0, sign.stderr);
    const ours = sign.loaded.filter((f) => !f.includes(`${path.sep}node_modules${path.sep}`));
    assert.ok(ours.length <= 25, `sign loaded ${ours.length} of our files:\n${ours.join('\n')}`);
    const heavy = sign.loaded.filter((f) => NOT_FOR_SIGN.some((p) => f.includes(`node_modules${path.sep}${p}`)));
    assert.deepEqual(heavy, [], 'sign loads none of these packages');
    const verify = await runBundle(['verify', out, '--trust', pki.rootCertPath]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    const report = await pdfsig(out, { nssDir: pki.nssDir });
    assert.deepEqual(
      report.signatures.map((s) => [s.validation, s.certificate]),
      [['Signature is Valid.', 'Certificate is Trusted.']],
    );
  });

  it('answers --help of a service command without loading the queue, the stores or mail', async () => {
    for (const command of ['request', 'account', 'audit']) {
      const help = await runBundle([command, '--help'], true);
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, new RegExp(`Usage: signservice ${command}`));
      const heavy = ['amqplib', 'mongodb', 'better-sqlite3', 'nodemailer', 'handlebars', 'qrcode', 'pkcs11js'];
      const loaded = help.loaded.filter((f) => heavy.some((p) => f.includes(`node_modules${path.sep}${p}`)));
      assert.deepEqual(loaded, [], `${command} --help`);
    }
  });
});
