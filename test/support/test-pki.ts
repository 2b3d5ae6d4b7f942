/**
 * Test support: a throw-away PKI made with the openssl CLI, once per process. A root CA issues an intermediate
 * CA, which issues the signer certificates (RSA 2048/3072, EC P-256, a Cyrillic subject, an expired and a
 * not-yet-valid one) and a TSA certificate (critical EKU timeStamping only). Each identity comes as PEM key,
 * PEM/DER certificate, chain file and an OpenSSL 3 default PKCS#12. An NSS database trusts the root, so
 * `pdfsig -nssdir <nssDir>` says "Certificate is Trusted." (also with -no-ocsp, see `signer_ext`). Files live in one
 * mkdtemp directory, removed at exit.
 */
import { X509Certificate } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool } from './run-tool.js';

/** The signer identities. */
export type IdentityName = 'rsa2048' | 'rsa3072' | 'ecP256' | 'cyrillic' | 'expired' | 'notYetValid';

/** One key with its certificate, in the forms tests need. */
export interface TestIdentity {
  name: string;
  /** Unencrypted PKCS#8 PEM private key. */
  keyPath: string;
  certPath: string;
  certPem: string;
  certDer: Buffer;
  /** PEM of the intermediate CA and the root, issuer first. */
  chainPath: string;
  /** PKCS#12 with key, certificate and chain, OpenSSL 3 defaults (PBES2/AES-256-CBC, SHA-256 MAC). */
  p12Path: string;
  p12Password: string;
}

/** What `createTestPki` made. */
export interface TestPki {
  dir: string;
  rootCertPath: string;
  rootCertDer: Buffer;
  intermediateCertPath: string;
  intermediateCertDer: Buffer;
  identities: Record<IdentityName, TestIdentity>;
  /** The timestamping identity, for `startTestTsa`. */
  tsa: TestIdentity;
  /**
   * Identities of other products' defaults that SignService verifies but does not sign with: an ECDSA P-384 key
   * (pyHanko's and many Acrobat setups' choice), issued by the same intermediate.
   */
  verifyOnly: { ecP384: TestIdentity };
  /** NSS database trusting the root ("CT,C,C"), in `sql:` form for `pdfsig -nssdir`. */
  nssDir: string;
}

type KeySpec = 'rsa2048' | 'rsa3072' | 'ecP256' | 'ecP384';

interface IdentitySpec {
  name: IdentityName | 'tsa' | 'ecP384';
  key: KeySpec;
  subject: string;
  extensions: 'signer_ext' | 'tsa_ext';
  /** Validity relative to now, in days. */
  from: number;
  to: number;
}

const SPECS: readonly IdentitySpec[] = [
  spec('rsa2048', 'rsa2048', '/CN=Mary Smith/O=Test Company/emailAddress=mary.smith@example.com'),
  spec('rsa3072', 'rsa3072', '/CN=Robert Brown/O=Test Company'),
  spec('ecP256', 'ecP256', '/CN=Eve Curve/O=Test Company'),
  spec('cyrillic', 'rsa2048', '/CN=Мария Иванова/O=ООО Тест/C=RU'),
  spec('expired', 'rsa2048', '/CN=Old Expired/O=Test Company', { to: -1 }), // ended yesterday
  spec('notYetValid', 'rsa2048', '/CN=Future Signer/O=Test Company', { from: 1 }), // starts tomorrow
  spec('tsa', 'rsa2048', '/CN=SignService Test TSA/O=SignService Tests', { extensions: 'tsa_ext' }),
  spec('ecP384', 'ecP384', '/CN=Paula Hanko/O=Other Product Users/emailAddress=paula@example.org'),
];

/** Identities that are not `TestPki.identities` (signers SignService signs with). */
const NOT_SIGNERS: ReadonlySet<string> = new Set(['tsa', 'ecP384']);

/** An identity valid from a year ago for two years, with the signer extensions, unless overridden. */
function spec(
  name: IdentitySpec['name'],
  key: KeySpec,
  subject: string,
  overrides: Partial<Pick<IdentitySpec, 'extensions' | 'from' | 'to'>> = {},
): IdentitySpec {
  return { name, key, subject, extensions: 'signer_ext', from: -365, to: 730, ...overrides };
}

const DAY = 86_400_000;
let pending: Promise<TestPki> | undefined;

/** Creates the test PKI once per process (later calls get the same one). Fails loudly when openssl or certutil is missing. */
export function createTestPki(): Promise<TestPki> {
  pending ??= buildPki().catch((error: unknown) => {
    pending = undefined;
    throw error;
  });
  return pending;
}

async function buildPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'signservice-pki-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'newcerts'));
  await writeFile(join(dir, 'openssl.cnf'), opensslConfig(dir));
  await Promise.all(['root', 'intermediate'].map((ca) => writeFile(join(dir, `${ca}-index.txt`), '')));
  const keys = ['root', 'intermediate', ...SPECS.map((s) => s.name)];
  // Key generation is the slow part (RSA 3072 especially): run it in parallel; `openssl ca` updates a shared
  // index file, so issuing runs one at a time.
  await Promise.all(keys.map((name) => generateKey(dir, name, SPECS.find((s) => s.name === name)?.key ?? 'rsa2048')));
  await Promise.all(keys.map((name) => makeRequest(dir, name, subjectOf(name))));
  await issue(dir, 'root', { ca: 'root_ca', extensions: 'root_ext', from: -730, to: 3650, selfSign: true });
  await issue(dir, 'intermediate', { ca: 'root_ca', extensions: 'intermediate_ext', from: -730, to: 2920 });
  for (const spec of SPECS)
    await issue(dir, spec.name, { ca: 'intermediate_ca', extensions: spec.extensions, from: spec.from, to: spec.to });
  const chainPath = join(dir, 'chain.pem');
  await writeFile(
    chainPath,
    `${await readFile(join(dir, 'intermediate.pem'), 'utf8')}${await readFile(join(dir, 'root.pem'), 'utf8')}`,
  );
  const identities = await Promise.all(SPECS.map((spec) => finishIdentity(dir, spec.name, chainPath)));
  const signers = identities.filter((identity) => !NOT_SIGNERS.has(identity.name));
  const byName = Object.fromEntries(signers.map((identity) => [identity.name, identity]));
  return {
    dir,
    rootCertPath: join(dir, 'root.pem'),
    rootCertDer: await derOf(join(dir, 'root.pem')),
    intermediateCertPath: join(dir, 'intermediate.pem'),
    intermediateCertDer: await derOf(join(dir, 'intermediate.pem')),
    identities: byName as Record<IdentityName, TestIdentity>,
    tsa: identities.find((identity) => identity.name === 'tsa')!,
    verifyOnly: { ecP384: identities.find((identity) => identity.name === 'ecP384')! },
    nssDir: await makeNssDb(dir),
  };
}

function subjectOf(name: string): string {
  if (name === 'root') return '/CN=SignService Test Root CA/O=SignService Tests';
  if (name === 'intermediate') return '/CN=SignService Test Issuing CA/O=SignService Tests';
  return SPECS.find((s) => s.name === name)!.subject;
}

async function generateKey(dir: string, name: string, key: KeySpec): Promise<void> {
  const options = key.startsWith('ec')
    ? ['-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${key === 'ecP384' ? 'P-384' : 'P-256'}`]
    : ['-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${key === 'rsa3072' ? 3072 : 2048}`];
  await tool('openssl', ['genpkey', ...options, '-out', join(dir, `${name}.key`)]);
}

async function makeRequest(dir: string, name: string, subject: string): Promise<void> {
  const config = join(dir, 'openssl.cnf');
  // biome-ignore format: a command line reads best as one
  await tool('openssl', ['req', '-new', '-utf8', '-config', config, '-key', join(dir, `${name}.key`), '-subj', subject, '-out', join(dir, `${name}.csr`)]);
}

interface IssueOptions {
  ca: 'root_ca' | 'intermediate_ca';
  extensions: string;
  from: number;
  to: number;
  selfSign?: boolean;
}

async function issue(dir: string, name: string, o: IssueOptions): Promise<void> {
  const now = Date.now();
  const selfSign = o.selfSign ? ['-selfsign', '-keyfile', join(dir, 'root.key')] : [];
  // biome-ignore format: a command line reads best as one
  await tool('openssl', [
    'ca', '-batch', '-notext', '-utf8', '-preserveDN', '-config', join(dir, 'openssl.cnf'), '-name', o.ca,
    '-in', join(dir, `${name}.csr`), '-out', join(dir, `${name}.pem`), '-extensions', o.extensions,
    '-startdate', asn1Time(now + o.from * DAY), '-enddate', asn1Time(now + o.to * DAY), ...selfSign,
  ]);
}

async function finishIdentity(dir: string, name: string, chainPath: string): Promise<TestIdentity> {
  const keyPath = join(dir, `${name}.key`);
  const certPath = join(dir, `${name}.pem`);
  const p12Path = join(dir, `${name}.p12`);
  const p12Password = `secret-${name}`;
  // biome-ignore format: a command line reads best as one
  await tool('openssl', ['pkcs12', '-export', '-inkey', keyPath, '-in', certPath, '-certfile', chainPath, '-name', name, '-out', p12Path, '-passout', `pass:${p12Password}`]);
  const certPem = await readFile(certPath, 'utf8');
  const certDer = new X509Certificate(certPem).raw;
  return { name, keyPath, certPath, certPem, certDer, chainPath, p12Path, p12Password };
}

async function derOf(pemPath: string): Promise<Buffer> {
  return new X509Certificate(await readFile(pemPath)).raw;
}

async function makeNssDb(dir: string): Promise<string> {
  const nssDir = `sql:${join(dir, 'nss')}`;
  await mkdir(join(dir, 'nss'));
  await tool('certutil', ['-N', '-d', nssDir, '--empty-password']);
  await tool('certutil', [
    '-A',
    '-d',
    nssDir,
    '-n',
    'SignService Test Root CA',
    '-t',
    'CT,C,C',
    '-i',
    join(dir, 'root.pem'),
  ]);
  return nssDir;
}

async function tool(command: string, args: string[]): Promise<string> {
  const run = await runTool(command, args);
  if (run.exitCode !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${run.exitCode}):\n${run.stderr}`);
  return run.stdout;
}

/** GeneralizedTime for `openssl ca -startdate/-enddate`. */
function asn1Time(ms: number): string {
  return `${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

/** One config for requests and both CAs; `-preserveDN` keeps subjects (and their UTF8String values) as requested. */
function opensslConfig(dir: string): string {
  const ca = (name: string, issuer: string) => `[ ${name} ]
database = ${join(dir, `${issuer}-index.txt`)}
new_certs_dir = ${join(dir, 'newcerts')}
certificate = ${join(dir, `${issuer}.pem`)}
private_key = ${join(dir, `${issuer}.key`)}
rand_serial = yes
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = yes
string_mask = utf8only
`;
  return `[ req ]
distinguished_name = req_dn
string_mask = utf8only
utf8 = yes
[ req_dn ]
${ca('root_ca', 'root')}
${ca('intermediate_ca', 'intermediate')}
[ policy_any ]
commonName = supplied
[ root_ext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ intermediate_ext ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ signer_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
# poppler 22.12 reports "Unknown issue with Certificate" for a trusted chain unless the signer certificate
# carries an EKU, a CRL distribution point and an AIA (it reads a stale NSS error); real CAs set all three.
extendedKeyUsage = emailProtection, 1.3.6.1.4.1.311.10.3.12
crlDistributionPoints = URI:http://127.0.0.1:9/test-intermediate.crl
authorityInfoAccess = caIssuers;URI:http://127.0.0.1:9/test-intermediate.crt
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ tsa_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;
}
