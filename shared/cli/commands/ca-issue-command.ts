/** `signservice ca issue`: a user certificate from the internal CA, its key in software or on a token. */
import { describeCertificate } from '../../crypto/certificate-info.js';
import { CA_KEY_TYPES, parseKeyType } from '../../crypto/internal-ca/ca-key-types.js';
import type { IssuedRecord } from '../../crypto/internal-ca/ca-store.js';
import type { ExternalKeyPair } from '../../crypto/internal-ca/issue-certificate.js';
import { invalid, parseCommandArgs } from '../cli-args.js';
import { caStoreIn, DATA_DIR_HELP, DATA_DIR_OPTION, existingDataDir } from '../data-dir.js';
import { locationText } from '../inventory-format.js';
import { loadDataDirMasterKey } from '../master-key-source.js';
import {
  type OpenedToken,
  openConfiguredToken,
  TOKEN_HELP,
  TOKEN_OPTIONS,
  tokenConfig,
  tokenSelection,
} from '../token-options.js';
import { intOption } from './ca-command.js';

const HELP = `Usage: signservice ca issue --cn NAME --org COMPANY --email ADDRESS [--key-type TYPE] [--days N] [--on-token token flags] [--json]

Issues a document-signing certificate from the internal CA: CN = the person, O = the company, the
e-mail in the subject and subjectAltName; key usage digitalSignature + nonRepudiation; EKU
emailProtection + Microsoft Document Signing; CRL distribution point and AIA from the CA's public URL.
The key is generated in software and sealed under the master key, or (--on-token) generated on the
token, non-extractable, with the certificate written next to it.
  --cn NAME               the person, e.g. "Mary Smith" or "Мария Иванова" (required)
  --org COMPANY           the company (required)
  --email ADDRESS         the person's e-mail (required)
  --ou UNIT               department
  --country CC            two-letter country code
  --key-type TYPE         ${CA_KEY_TYPES.join(' | ')} (default rsa2048)
  --days N                validity in days (default 365; never beyond the root)
  --on-token              generate the key on the token named by the token flags
  --label TEXT            CKA_LABEL of the key and certificate on the token (default: the CN)
${TOKEN_HELP}
Other:
${DATA_DIR_HELP}
  --json                  print the result as JSON`;

const OPTIONS = {
  ...TOKEN_OPTIONS,
  ...DATA_DIR_OPTION,
  json: { type: 'boolean' },
  cn: { type: 'string' },
  org: { type: 'string' },
  ou: { type: 'string' },
  email: { type: 'string' },
  country: { type: 'string' },
  'key-type': { type: 'string' },
  days: { type: 'string' },
  'on-token': { type: 'boolean' },
  label: { type: 'string' },
} as const;

export async function run(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseCommandArgs(argv, OPTIONS);
  if (v.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (positionals.length > 0) throw invalid(`unexpected argument '${positionals[0]}'`);
  if (!v.cn || !v.org || !v.email) throw invalid('--cn NAME, --org COMPANY and --email ADDRESS are required');
  const keyType = parseKeyType(v['key-type'] ?? 'rsa2048', CA_KEY_TYPES, '--key-type');
  const days = intOption(v.days, '--days', 365);
  const dataDir = existingDataDir(v);
  const store = caStoreIn(dataDir);
  const { requireRoot } = await import('../../crypto/internal-ca/ca-root.js');
  await requireRoot(store);
  const masterKey = loadDataDirMasterKey(dataDir, { create: false });
  let token: OpenedToken | undefined;
  try {
    let keyPair: ExternalKeyPair | undefined;
    if (v['on-token']) {
      const config = tokenConfig(tokenSelection(v));
      token = await openConfiguredToken(config);
      const { generateTokenKeyPair } = await import('../../crypto/internal-ca/token-key-pair.js');
      keyPair = await generateTokenKeyPair(token.token, config, keyType, v.label ?? v.cn);
    }
    const { issueCertificate } = await import('../../crypto/internal-ca/issue-certificate.js');
    const record = await issueCertificate({
      store,
      masterKey,
      keyType,
      validityDays: days,
      subject: {
        commonName: v.cn,
        organization: v.org,
        email: v.email,
        ...(v.ou ? { organizationalUnit: v.ou } : {}),
        ...(v.country ? { country: v.country } : {}),
      },
      ...(keyPair ? { keyPair } : {}),
    });
    printIssued(record, masterKey.keyId, v.json === true);
    return 0;
  } finally {
    await token?.close();
  }
}

/** Prints the issued certificate: JSON, or a summary with the id and how to sign with it. */
function printIssued(record: IssuedRecord, masterKeyId: string, json: boolean): void {
  const info = describeCertificate(record.certificate);
  const location = record.key?.kind === 'token' ? record.key : { kind: 'internal' as const, masterKeyId };
  const result = {
    id: record.id,
    serialNumber: record.serialNumber,
    subject: info.subject,
    keyType: info.publicKeyDescription,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
    location,
  };
  process.stdout.write(
    json
      ? `${JSON.stringify(result, null, 2)}\n`
      : `Issued "${info.subject}" (${info.publicKeyDescription}, serial ${record.serialNumber}, valid until ` +
          `${result.notAfter.slice(0, 10)}), key in ${locationText(location)}.\nId: ${record.id}\n` +
          `Sign with: signservice sign IN.pdf -o OUT.pdf --cert-id ${record.id.slice(0, 16)}\n`,
  );
}
