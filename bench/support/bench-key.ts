/**
 * The one signing key every tool uses: a self-signed RSA-2048 certificate in a PKCS#12 file (for our
 * CLI and the pdf-lib + @signpdf peer) and the same key imported into an NSS database (for pdfsig,
 * which only takes keys from NSS). Made once into the cache directory.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { runChecked } from './run-command.js';

/** Where the benchmark key lives and how each tool is told to use it. */
export interface BenchKey {
  /** PKCS#12 with the key and its certificate. */
  p12Path: string;
  p12Password: string;
  /** NSS database holding the same key, in the `sql:DIR` form pdfsig and certutil take. */
  nssDb: string;
  /** Nickname of the certificate in the NSS database (the P12 friendly name). */
  nick: string;
}

/** Bump when the way the key is made changes, so an old cache is not reused. */
const KEY_VERSION = 'key-v1';
const P12_PASSWORD = 'signservice-bench';
const NICK = 'signservice-bench';

function describe(dir: string): BenchKey {
  return {
    p12Path: path.join(dir, 'signer.p12'),
    p12Password: P12_PASSWORD,
    nssDb: `sql:${path.join(dir, 'nssdb')}`,
    nick: NICK,
  };
}

async function makeKey(dir: string): Promise<void> {
  const keyPem = path.join(dir, 'signer.key.pem');
  const certPem = path.join(dir, 'signer.cert.pem');
  const key = describe(dir);
  const newKey = ['req', '-x509', '-newkey', 'rsa:2048', '-noenc', '-days', '3650'];
  await runChecked('openssl', [...newKey, '-subj', '/CN=SignService Bench Signer', '-keyout', keyPem, '-out', certPem]);
  // The OpenSSL 3 defaults, spelt out: a PKCS#12 made this way is what users bring today, and
  // node-forge (inside P12Signer) must read PBES2/AES-256 and a SHA-256 MAC [RFC 8018 §6.2, RFC 7292 App. B].
  const protection = ['-keypbe', 'AES-256-CBC', '-certpbe', 'AES-256-CBC', '-macalg', 'sha256'];
  const files = ['-inkey', keyPem, '-in', certPem, '-out', key.p12Path, '-name', NICK];
  await runChecked('openssl', ['pkcs12', '-export', ...files, '-passout', `pass:${P12_PASSWORD}`, ...protection]);
  await mkdir(path.join(dir, 'nssdb'));
  await runChecked('certutil', ['-N', '-d', key.nssDb, '--empty-password']);
  await runChecked('pk12util', ['-i', key.p12Path, '-d', key.nssDb, '-W', P12_PASSWORD]);
  await rm(keyPem);
}

/** Returns the cached benchmark key, making it first if needed (built aside, then renamed into place). */
export async function ensureBenchKey(cacheDir: string): Promise<BenchKey> {
  const dir = path.join(cacheDir, KEY_VERSION);
  if (!existsSync(dir)) {
    await mkdir(cacheDir, { recursive: true });
    const staging = await mkdtemp(path.join(cacheDir, `${KEY_VERSION}.tmp-`));
    try {
      await makeKey(staging);
      await rename(staging, dir);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
  return describe(dir);
}
