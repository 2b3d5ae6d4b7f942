/**
 * `signservice ca init | issue | revoke | crl | export-root`: the company's internal CA, stored in the
 * data directory with its keys sealed under the master key. `issue` lives in ca-issue-command.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { settingsEnvironment } from '../../config-file.js';
import { describeCertificate } from '../../crypto/certificate-info.js';
import { parseKeyType, ROOT_KEY_TYPES } from '../../crypto/internal-ca/ca-key-types.js';
import { REVOCATION_REASONS, type RevocationReason } from '../../crypto/internal-ca/ca-store.js';
import { DEFAULT_PUBLIC_BASE_URL } from '../../crypto/internal-ca/ca-urls.js';
import { AppError, ErrorCode } from '../../errors.js';
import { fileIoError } from '../../fs/file-error.js';
import { invalid, parseCommandArgs } from '../cli-args.js';
import { caStoreIn, DATA_DIR_HELP, DATA_DIR_OPTION, dataDirChoice, existingDataDir } from '../data-dir.js';
import { loadDataDirMasterKey } from '../master-key-source.js';

const USAGE = `Usage: signservice ca <command> [options]

The company's internal certification authority. Its data (root, issued certificates, revocations, CRL)
lives in the data directory; private keys are sealed with AES-256-GCM under the master key
(SIGNSERVICE_MASTER_KEY, SIGNSERVICE_MASTER_KEY_FILE, or <data dir>/master.key made by 'ca init').

Commands:
  init          create the root (RSA 3072 or EC P-256)
  issue         issue a user certificate (key in software, or generated on a token)
  revoke        revoke a certificate and reissue the CRL
  crl           reissue the CRL and write it to a file
  export-root   write root.pem, root.der and INSTALL-ROOT.txt (how to trust the root)

Run 'signservice ca <command> --help' for its options.`;

const HELP: Record<string, string> = {
  init: `Usage: signservice ca init --cn NAME [--org ORG] [--ou UNIT] [--country CC] [--key-type TYPE] [--years N] [--public-url URL] [--json]

Creates the internal CA's root certificate and key (sealed under the master key; a master key file is
generated in the data directory when there is none and no store yet). Makes the data directory when it is
missing, and says which it is and what named it. Refuses to replace an existing root.
  --cn NAME               the CA's name, e.g. "Acme Internal CA" (required)
  --org ORG, --ou UNIT    organisation and unit
  --country CC            two-letter country code, e.g. RU
  --key-type TYPE         ${ROOT_KEY_TYPES.join(' | ')} (default rsa3072)
  --years N               validity in years (default 10)
  --public-url URL        base URL where the service publishes <URL>/ca/root.crt and <URL>/ca/root.crl,
                          written into every issued certificate (default: $PUBLIC_BASE_URL, else
                          ${DEFAULT_PUBLIC_BASE_URL})
${DATA_DIR_HELP}
  --json                  print the result as JSON`,
  revoke: `Usage: signservice ca revoke ID|SERIAL [--reason REASON] [--json]

Revokes a certificate of the internal CA (by inventory id, a unique id prefix, or serial number) and
reissues the CRL (<data dir>/ca/root.crl). 'signservice sign' refuses revoked certificates.
  --reason REASON         ${REVOCATION_REASONS.join(' | ')} (default unspecified)
${DATA_DIR_HELP}
  --json                  print the result as JSON`,
  crl: `Usage: signservice ca crl -o FILE [--pem] [--days N]

Issues a fresh CRL (next CRL number, all revocations) and writes it to FILE (DER, or PEM with --pem).
  -o, --output FILE       where to write the CRL (required)
  --pem                   PEM instead of DER
  --days N                days until nextUpdate (default 7)
${DATA_DIR_HELP}`,
  'export-root': `Usage: signservice ca export-root [-o DIR] [--json]

Writes root.pem, root.der and INSTALL-ROOT.txt (English and Russian instructions for Windows, macOS,
Linux/NSS and Adobe Reader) into DIR (default: the current directory).
  -o, --output DIR        target directory (created if missing)
${DATA_DIR_HELP}
  --json                  print the result as JSON`,
};

const OPTIONS = {
  ...DATA_DIR_OPTION,
  json: { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  cn: { type: 'string' },
  org: { type: 'string' },
  ou: { type: 'string' },
  country: { type: 'string' },
  'key-type': { type: 'string' },
  years: { type: 'string' },
  'public-url': { type: 'string' },
  reason: { type: 'string' },
  pem: { type: 'boolean' },
  days: { type: 'string' },
} as const;

type Values = Record<string, string | boolean | undefined>;

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return sub === undefined ? 64 : 0;
  }
  if (sub === 'issue') return (await import('./ca-issue-command.js')).run(rest);
  const handler = { init, revoke, crl, 'export-root': exportRootCommand }[sub];
  if (!handler) throw invalid(`unknown ca command '${sub}'`);
  const { values, positionals } = parseCommandArgs(rest, OPTIONS);
  if (values.help) {
    process.stdout.write(`${HELP[sub]}\n`);
    return 0;
  }
  return handler(values, positionals);
}

/** A positive integer option, or its default. */
export function intOption(value: string | boolean | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\d+$/.test(value)) throw invalid(`${name} must be a whole number`);
  return Number(value);
}

function noPositionals(positionals: string[]): void {
  if (positionals.length > 0) throw invalid(`unexpected argument '${positionals[0]}'`);
}

function print(v: Values, json: unknown, text: string): number {
  process.stdout.write(v.json ? `${JSON.stringify(json, null, 2)}\n` : `${text}\n`);
  return 0;
}

async function init(v: Values, positionals: string[]): Promise<number> {
  noPositionals(positionals);
  if (typeof v.cn !== 'string') throw invalid('the CA name is required: --cn NAME');
  const { dir: dataDir, named } = dataDirChoice(v);
  const store = caStoreIn(dataDir);
  // Fail before a master key file is generated for nothing.
  if (await store.loadRoot()) {
    throw new AppError(ErrorCode.CA_ALREADY_INITIALIZED, `The internal CA in ${store.location} already has a root`);
  }
  const keyType = parseKeyType(
    typeof v['key-type'] === 'string' ? v['key-type'] : 'rsa3072',
    ROOT_KEY_TYPES,
    '--key-type',
  );
  const publicUrl =
    typeof v['public-url'] === 'string' ? v['public-url'] : settingsEnvironment().PUBLIC_BASE_URL || undefined;
  // A new master key only where no store exists yet: one beside a store would not open its secrets.
  const { storeIsNew, storeMarkerOf } = await import('../../store/embedded/store-marker.js');
  const storeFile = path.join(dataDir, 'signservice.sqlite');
  const masterKey = loadDataDirMasterKey(dataDir, {
    create: storeIsNew(storeFile) && !fs.existsSync(storeMarkerOf(storeFile)),
  });
  const { createRoot } = await import('../../crypto/internal-ca/create-root.js');
  const root = await createRoot({
    store,
    masterKey,
    keyType,
    subject: {
      commonName: v.cn,
      ...(typeof v.org === 'string' ? { organization: v.org } : {}),
      ...(typeof v.ou === 'string' ? { organizationalUnit: v.ou } : {}),
      ...(typeof v.country === 'string' ? { country: v.country } : {}),
    },
    validityYears: intOption(v.years, '--years', 10),
    ...(publicUrl ? { publicBaseUrl: publicUrl } : {}),
  });
  // The OCSP responder's certificate and the first CRL, so the published URLs answer from the start.
  const { ensureOcspSigner } = await import('../../crypto/internal-ca/ocsp-signer.js');
  const { issueCrl } = await import('../../crypto/internal-ca/crl.js');
  await ensureOcspSigner(store, masterKey);
  await issueCrl({ store, masterKey });
  const info = describeCertificate(root.certificate);
  const json = {
    dataDir,
    dataDirNamed: named,
    subject: info.subject,
    id: info.fingerprintSha256.toLowerCase(),
    keyType,
    notAfter: info.notAfter.toISOString(),
    publicBaseUrl: root.publicBaseUrl,
    masterKeyId: masterKey.keyId,
  };
  return print(
    v,
    json,
    `Created the internal CA "${info.subject}" (${info.publicKeyDescription}, valid until ${json.notAfter.slice(0, 10)}) ` +
      `in ${store.location} (data directory from ${named}); keys sealed under master key ${masterKey.keyId}. It publishes ${root.publicBaseUrl}/ca/root.crt, ` +
      `/ca/root.crl and the OCSP responder /ca/ocsp from the service.\n` +
      `Next: 'signservice ca export-root -o DIR' and install the root as trusted (see INSTALL-ROOT.txt).`,
  );
}

async function revoke(v: Values, positionals: string[]): Promise<number> {
  if (positionals.length !== 1) throw invalid('name one certificate: signservice ca revoke ID|SERIAL');
  const reason = (typeof v.reason === 'string' ? v.reason : 'unspecified') as RevocationReason;
  const dataDir = existingDataDir(v);
  const store = caStoreIn(dataDir);
  const { requireRoot } = await import('../../crypto/internal-ca/ca-root.js');
  await requireRoot(store);
  const { revokeCertificate } = await import('../../crypto/internal-ca/revoke-certificate.js');
  const result = await revokeCertificate({
    store,
    masterKey: loadDataDirMasterKey(dataDir, { create: false }),
    certificate: positionals[0]!,
    reason,
  });
  const subject = describeCertificate(result.record.certificate).subject;
  const crlFile = path.join(store.location, 'root.crl');
  return print(
    v,
    { ...result.revocation, subject, crl: crlFile },
    `Revoked "${subject}" (id ${result.record.id.slice(0, 16)}…, serial ${result.record.serialNumber}, reason ${reason}). ` +
      `New CRL: ${crlFile}`,
  );
}

async function crl(v: Values, positionals: string[]): Promise<number> {
  noPositionals(positionals);
  if (typeof v.output !== 'string') throw invalid('the output file is required: -o FILE');
  const dataDir = existingDataDir(v);
  const store = caStoreIn(dataDir);
  const { requireRoot } = await import('../../crypto/internal-ca/ca-root.js');
  await requireRoot(store);
  const { issueCrl } = await import('../../crypto/internal-ca/crl.js');
  const der = await issueCrl({
    store,
    masterKey: loadDataDirMasterKey(dataDir, { create: false }),
    validityDays: intOption(v.days, '--days', 7),
  });
  const { toPem } = await import('../../crypto/internal-ca/ca-key-types.js');
  writeOutput(v.output, v.pem ? toPem(der, 'X509 CRL') : der);
  const revoked = (await store.listRevocations()).length;
  process.stdout.write(`Wrote the CRL (${revoked} revoked certificate(s)) to ${v.output}\n`);
  return 0;
}

async function exportRootCommand(v: Values, positionals: string[]): Promise<number> {
  noPositionals(positionals);
  const dir = path.resolve(typeof v.output === 'string' ? v.output : '.');
  const { exportRoot, ROOT_FILE_NAMES } = await import('../../crypto/internal-ca/export-root.js');
  const exported = await exportRoot(caStoreIn(existingDataDir(v)));
  const files = {
    pem: path.join(dir, ROOT_FILE_NAMES.pem),
    der: path.join(dir, ROOT_FILE_NAMES.der),
    instructions: path.join(dir, ROOT_FILE_NAMES.instructions),
  };
  writeOutput(files.pem, exported.pem, dir);
  writeOutput(files.der, exported.der);
  writeOutput(files.instructions, exported.instructions);
  return print(
    v,
    { subject: exported.subject, fingerprintSha256: exported.fingerprint, files },
    `Exported the root "${exported.subject}" to ${dir}: ${Object.values(ROOT_FILE_NAMES).join(', ')}\n` +
      `SHA-256 fingerprint: ${exported.fingerprint}`,
  );
}

/** Writes an output file (public material: root, CRL), creating `mkdir` first when given. */
function writeOutput(file: string, data: string | Buffer, mkdir?: string): void {
  try {
    if (mkdir) fs.mkdirSync(mkdir, { recursive: true });
    fs.writeFileSync(file, data);
  } catch (error) {
    throw fileIoError('write', file, error);
  }
}
