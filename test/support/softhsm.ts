/**
 * Test support: a SoftHSM2 token made per test run, holding keys and certificates issued by a fresh test
 * CA, plus an NSS database that trusts that CA (for pdfsig). Everything lives in one mkdtemp directory.
 *
 * SoftHSM2 reads SOFTHSM2_CONF in C_Initialize, and a token created after C_Initialize may stay
 * invisible (rust-cryptoki #75), so this sets `process.env.SOFTHSM2_CONF` and refuses to run while the
 * SoftHSM2 module is loaded in this process: finalize it in the previous suite's `after`.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadedPkcs11Module } from '../../shared/crypto/pkcs11/pkcs11-module.js';

const run = promisify(execFile);

/** Debian's SoftHSM2 module (package softhsm2). */
export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

/** One key pair and/or certificate to put on the token. */
export interface SoftHsmIdentitySpec {
  /** CKA_ID as hex, shared by the key and the certificate. */
  id: string;
  keyType: 'rsa2048' | 'rsa3072' | 'ecP256';
  /** Subject CN; also the CKA_LABEL of both objects. */
  cn: string;
  /** Write the certificate object. @default true */
  withCert?: boolean;
  /** Import the private key. @default true */
  withKey?: boolean;
  /** Issue a certificate that expired 30 days ago. @default false */
  expired?: boolean;
}

/** An identity as made: certificate (DER bytes, PEM path) and the PKCS#8 PEM key file. */
export interface SoftHsmIdentity {
  id: string;
  certDer: Buffer;
  certPath: string;
  keyPath: string;
}

/** What `createSoftHsmToken` made. */
export interface SoftHsmToken {
  label: string;
  pin: string;
  modulePath: string;
  /** The softhsm2.conf path (also in `env` and `process.env`). */
  conf: string;
  tokenDir: string;
  caCertPath: string;
  caCertDer: Buffer;
  /** NSS database directory (use as `sql:${nssDir}`) trusting the test CA. */
  nssDir: string;
  /** In the order of `opts.identities`. */
  identities: SoftHsmIdentity[];
  env: { SOFTHSM2_CONF: string };
  /** Removes every file made (call from `after`, once the module is finalized). */
  cleanup(): Promise<void>;
}

const SO_PIN = '87654321';

/**
 * Makes a SoftHSM2 token with the given identities. Throws with a clear message when a tool is missing
 * (never skips). Keys are generated in parallel while finished identities are written to the token.
 */
export async function createSoftHsmToken(opts: {
  label: string;
  pin: string;
  identities: SoftHsmIdentitySpec[];
}): Promise<SoftHsmToken> {
  assertToolsPresent();
  if (loadedPkcs11Module(SOFTHSM_MODULE) !== undefined) {
    throw new Error(
      'SoftHSM2 is loaded in this process; finalize it before making a token (SOFTHSM2_CONF is read once)',
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'signservice-softhsm-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    const tokenDir = join(dir, 'tokens');
    const conf = join(dir, 'softhsm2.conf');
    await mkdir(tokenDir);
    await mkdir(join(dir, 'newcerts'));
    await writeFile(conf, `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\n`);
    process.env.SOFTHSM2_CONF = conf;
    const toolEnv = { ...process.env, SOFTHSM2_CONF: conf };
    const init = ['--init-token', '--free', '--label', opts.label, '--so-pin', SO_PIN, '--pin', opts.pin];
    await tool('softhsm2-util', init, toolEnv);
    const ca = await makeCa(dir);
    const identities = await issueAll(dir, opts.identities, (spec, made) => putOnToken(opts, spec, made, toolEnv));
    const nssDir = await makeNssDb(dir, ca.certPath);
    const { label, pin } = opts;
    const { certPath: caCertPath, certDer: caCertDer } = ca;
    const env = { SOFTHSM2_CONF: conf };
    return {
      label,
      pin,
      modulePath: SOFTHSM_MODULE,
      conf,
      tokenDir,
      caCertPath,
      caCertDer,
      nssDir,
      identities,
      env,
      cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

function assertToolsPresent(): void {
  if (!existsSync(SOFTHSM_MODULE))
    throw new Error(`SoftHSM2 module ${SOFTHSM_MODULE} is missing: apt-get install softhsm2`);
  const tools = { 'softhsm2-util': 'softhsm2', 'pkcs11-tool': 'opensc', openssl: 'openssl', certutil: 'libnss3-tools' };
  for (const [name, pkg] of Object.entries(tools)) {
    const found = (process.env.PATH ?? '').split(':').some((d) => d !== '' && existsSync(join(d, name)));
    if (!found) throw new Error(`${name} is not on PATH: apt-get install ${pkg}`);
  }
}

async function tool(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  try {
    await run(file, args, { env, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`${file} ${args.join(' ')} failed: ${stderr.trim() || String(error)}`);
  }
}

/** Splits constant command-line words. */
function words(text: string): string[] {
  return text.split(' ');
}

async function makeCa(dir: string): Promise<{ certPath: string; certDer: Buffer }> {
  const keyPath = join(dir, 'ca.key');
  const certPath = join(dir, 'ca.pem');
  await tool('openssl', [...words('genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out'), keyPath]);
  const extensions = words('-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign');
  const subject = ['-subj', '/O=SignService Tests/CN=SignService Test CA'];
  await tool('openssl', [
    ...words('req -new -x509 -days 3650 -sha256 -key'),
    keyPath,
    '-out',
    certPath,
    ...subject,
    ...extensions,
  ]);
  return { certPath, certDer: await toDer(certPath, join(dir, 'ca.der')) };
}

/** Writes the DER of a PEM certificate and returns the bytes. */
async function toDer(pemPath: string, derPath: string): Promise<Buffer> {
  await tool('openssl', ['x509', '-in', pemPath, '-outform', 'DER', '-out', derPath]);
  return readFile(derPath);
}

type Made = SoftHsmIdentity & { certDerPath: string };

/**
 * Issues every identity, at most one per CPU at a time and the slow RSA 3072 keys first, and hands each
 * finished one to `store`; the `store` calls run one at a time (both token tools rewrite the object store).
 */
async function issueAll(
  dir: string,
  specs: readonly SoftHsmIdentitySpec[],
  store: (spec: SoftHsmIdentitySpec, made: Made) => Promise<void>,
): Promise<SoftHsmIdentity[]> {
  const cost = { rsa3072: 10, rsa2048: 2, ecP256: 1 };
  const queue = [...specs.keys()].sort((a, b) => cost[specs[b]!.keyType] - cost[specs[a]!.keyType]);
  const made: Made[] = new Array(specs.length);
  let stores = Promise.resolve();
  const worker = async () => {
    for (let index = queue.shift(); index !== undefined; index = queue.shift()) {
      const spec = specs[index]!;
      const identity = await issueIdentity(dir, spec);
      made[index] = identity;
      stores = stores.then(() => store(spec, identity));
      stores.catch(() => {}); // awaited below; an early failure must not surface as an unhandled rejection
    }
  };
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), specs.length) }, worker));
  await stores;
  return made.map(({ id, certDer, certPath, keyPath }) => ({ id, certDer, certPath, keyPath }));
}

/** Key pair (PKCS#8 PEM, as softhsm2-util --import wants) and a certificate from the test CA. */
async function issueIdentity(dir: string, spec: SoftHsmIdentitySpec): Promise<Made> {
  const base = join(dir, `id-${spec.id}`);
  const keyPath = `${base}.key.pem`;
  const keyArgs =
    spec.keyType === 'ecP256'
      ? words('-algorithm EC -pkeyopt ec_paramgen_curve:P-256')
      : words(`-algorithm RSA -pkeyopt rsa_keygen_bits:${spec.keyType === 'rsa2048' ? 2048 : 3072}`);
  await tool('openssl', ['genpkey', ...keyArgs, '-out', keyPath]);
  const subject = `/CN=${spec.cn.replace(/[/,\\]/g, '\\$&')}`;
  // -utf8: a Cyrillic CN is UTF-8 text, as a real CA writes it (without it openssl reads the bytes as Latin-1).
  await tool('openssl', ['req', '-new', '-utf8', '-key', keyPath, '-out', `${base}.csr`, '-subj', subject]);
  const day = 24 * 3600 * 1000;
  const now = Date.now();
  const [start, end] = spec.expired ? [now - 400 * day, now - 30 * day] : [now - day, now + 365 * day];
  await writeFile(`${base}.ca.cnf`, caConfig(dir, spec.id));
  await writeFile(join(dir, `index-${spec.id}.txt`), '');
  const certPath = `${base}.cert.pem`;
  const dates = ['-startdate', asn1Time(start), '-enddate', asn1Time(end)];
  const io = ['-config', `${base}.ca.cnf`, '-in', `${base}.csr`, '-out', certPath];
  await tool('openssl', [...words('ca -batch -utf8 -notext -extensions signer_ext'), ...io, ...dates]);
  const certDerPath = `${base}.cert.der`;
  return { id: spec.id, certPath, keyPath, certDerPath, certDer: await toDer(certPath, certDerPath) };
}

/** An `openssl ca` config with its own database per identity, so identities can be issued in parallel. */
function caConfig(dir: string, id: string): string {
  return `[ ca ]
default_ca = test_ca
[ test_ca ]
database = ${join(dir, `index-${id}.txt`)}
new_certs_dir = ${join(dir, 'newcerts')}
certificate = ${join(dir, 'ca.pem')}
private_key = ${join(dir, 'ca.key')}
rand_serial = yes
default_md = sha256
policy = policy_any
unique_subject = no
[ policy_any ]
commonName = supplied
[ signer_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
# poppler 22.12 reports "Unknown issue with Certificate" for a trusted chain unless the signer certificate
# carries an EKU, a CRL distribution point and an AIA (see test-pki.ts); port 9 (discard) is never served.
extendedKeyUsage = emailProtection, 1.3.6.1.4.1.311.10.3.12
crlDistributionPoints = URI:http://127.0.0.1:9/softhsm-test-ca.crl
authorityInfoAccess = caIssuers;URI:http://127.0.0.1:9/softhsm-test-ca.crt
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;
}

/** softhsm2-util imports the key (PKCS#8 only); pkcs11-tool writes the certificate with the same CKA_ID. */
async function putOnToken(
  token: { label: string; pin: string },
  spec: SoftHsmIdentitySpec,
  made: Made,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const object = ['--label', spec.cn, '--id', spec.id];
  if (spec.withKey !== false) {
    await tool('softhsm2-util', ['--import', made.keyPath, '--token', token.label, '--pin', token.pin, ...object], env);
  }
  if (spec.withCert !== false) {
    const login = ['--module', SOFTHSM_MODULE, '--token-label', token.label, '--login', '--pin', token.pin];
    await tool('pkcs11-tool', [...login, '--write-object', made.certDerPath, '--type', 'cert', ...object], env);
  }
}

async function makeNssDb(dir: string, caCertPath: string): Promise<string> {
  const nssDir = join(dir, 'nss');
  await mkdir(nssDir);
  await tool('certutil', ['-N', '-d', `sql:${nssDir}`, '--empty-password']);
  await tool('certutil', ['-A', '-d', `sql:${nssDir}`, '-n', 'SignService Test CA', '-t', 'CT,C,C', '-i', caCertPath]);
  return nssDir;
}

/** GeneralizedTime for `openssl ca -startdate/-enddate`: YYYYMMDDHHMMSSZ. */
function asn1Time(ms: number): string {
  return `${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}
