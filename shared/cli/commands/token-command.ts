/** `signservice token list`: the certificates on a PKCS#11 token, each paired with its key by CKA_ID. */
import { createHash } from 'node:crypto';
import { buildInventory } from '../../crypto/certificate-inventory.js';
import { readTokenListing } from '../../crypto/token-snapshot.js';
import { parseListCommand } from '../cli-args.js';
import { DATA_DIR_HELP, DATA_DIR_OPTION, dataDirExists, dataDirFrom, snapshotStoreIn } from '../data-dir.js';
import { entryJson, table } from '../inventory-format.js';
import { loadCaRecords } from '../inventory-loader.js';
import { openConfiguredToken, TOKEN_HELP, TOKEN_OPTIONS, tokenConfig, tokenSelection } from '../token-options.js';

const HELP = `Usage: signservice token list [--pkcs11-module PATH] [--token LABEL | --token-serial SERIAL] [--pin-file FILE] [--json]

Lists every X.509 certificate on the token with its CKA_ID (use it with 'signservice sign --key-id'),
whether a private key with the same CKA_ID is there, the key type, the expiry, the status and the
inventory id (use it with 'signservice sign --cert-id'). Logs in once; a rejected PIN is not retried.

${TOKEN_HELP}
Other:
${DATA_DIR_HELP}
                          (if it exists, the listing is remembered there for 'cert list' when the token is unplugged)
  --json                  print the result as JSON
  -h, --help              this help`;

const OPTIONS = { ...TOKEN_OPTIONS, ...DATA_DIR_OPTION, json: { type: 'boolean' } } as const;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseListCommand(argv, 'token', HELP, OPTIONS);
  if ('exitCode' in parsed) return parsed.exitCode;
  const v = parsed.values;
  const config = tokenConfig(tokenSelection(v));
  const dataDir = dataDirFrom(v);
  const opened = await openConfiguredToken(config);
  try {
    const listing = readTokenListing(opened.token, config.modulePath);
    const ca = await loadCaRecords(dataDir);
    if (dataDirExists(dataDir)) await snapshotStoreIn(dataDir).save(listing);
    const { entries, problems } = buildInventory({ tokens: [listing], ...(ca ? { ca } : {}) });
    const byId = new Map(entries.map((e) => [e.id, e]));
    const idOf = (der: Buffer) => createHash('sha256').update(der).digest('hex');
    const rows = [...listing.certificates]
      .sort((a, b) => a.ckaId.localeCompare(b.ckaId))
      .map((c) => ({ object: c, entry: byId.get(idOf(c.certificate)) }));
    for (const problem of problems) process.stderr.write(`signservice: warning: ${problem}\n`);
    const token = { label: listing.tokenLabel, serial: listing.tokenSerial, modulePath: listing.modulePath };
    if (v.json) {
      const certificates = rows.map(({ object, entry }) => ({
        ckaId: object.ckaId,
        label: object.label,
        hasPrivateKey: object.hasPrivateKey,
        ...(entry ? entryJson(entry) : { status: 'unreadable' }),
      }));
      process.stdout.write(`${JSON.stringify({ token, certificates }, null, 2)}\n`);
      return 0;
    }
    const paired = listing.certificates.filter((c) => c.hasPrivateKey).length;
    process.stdout.write(
      `Token "${token.label}" (serial ${token.serial}), module ${token.modulePath}: ` +
        `${rows.length} certificate(s), ${paired} with a private key\n`,
    );
    if (rows.length === 0) return 0;
    const cells = rows.map(({ object, entry }) => [
      object.ckaId,
      object.hasPrivateKey ? 'yes' : 'NO',
      entry?.keyType ?? '?',
      entry?.notAfter.toISOString().slice(0, 10) ?? '?',
      entry?.status ?? 'unreadable',
      entry?.id.slice(0, 16) ?? '-',
      `${object.label}${entry && entry.subject !== `CN=${object.label}` ? `  (${entry.subject})` : ''}`,
    ]);
    process.stdout.write(`${table(['CKA_ID', 'KEY?', 'TYPE', 'EXPIRES', 'STATUS', 'ID', 'LABEL'], cells)}\n`);
    return 0;
  } finally {
    await opened.close();
  }
}
