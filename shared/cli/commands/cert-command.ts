/** `signservice cert list`: the one certificate inventory across the configured token and the internal CA. */
import { describeCertificate } from '../../crypto/certificate-info.js';
import { parseListCommand } from '../cli-args.js';
import { DATA_DIR_HELP, DATA_DIR_OPTION, dataDirFrom, existingDataDir } from '../data-dir.js';
import { entryJson, inventoryTable } from '../inventory-format.js';
import { loadInventory } from '../inventory-loader.js';
import { TOKEN_HELP, TOKEN_OPTIONS, tokenRequested, tokenSelection } from '../token-options.js';

const HELP = `Usage: signservice cert list [--json] [token flags] [--data-dir DIR]

Lists every certificate SignService can sign with: those on the configured token (when a token is
configured by flags or environment) and those issued by the internal CA in the data directory. Each has
a stable id (SHA-256 of the certificate; any unique prefix of 8+ digits works with
'signservice sign --cert-id'), subject, issuer, serial, validity, key type and size, where the key is,
and a status: valid, expired, not-yet-valid, revoked, key-missing or token-absent (an unplugged token's
certificates as last listed). Internal-CA certificates are marked "internal use".

${TOKEN_HELP}
Other:
${DATA_DIR_HELP}
  --json                  print the inventory as JSON
  -h, --help              this help`;

const OPTIONS = { ...TOKEN_OPTIONS, ...DATA_DIR_OPTION, json: { type: 'boolean' } } as const;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseListCommand(argv, 'cert', HELP, OPTIONS);
  if ('exitCode' in parsed) return parsed.exitCode;
  const v = parsed.values;
  const selection = tokenSelection(v);
  // Without a token, the data directory is all there is to list: a missing one is a wrong folder, not "0 certificates".
  const dataDir = tokenRequested(selection) ? dataDirFrom(v) : existingDataDir(v);
  const loaded = await loadInventory(dataDir, selection);
  await loaded.token?.close();
  for (const warning of loaded.warnings) process.stderr.write(`signservice: warning: ${warning}\n`);
  const { entries } = loaded.inventory;
  if (v.json) {
    const sources = {
      dataDir,
      internalCa: loaded.ca
        ? { root: describeCertificate(loaded.ca.root.certificate).subject, publicBaseUrl: loaded.ca.root.publicBaseUrl }
        : null,
      token: loaded.listing
        ? { label: loaded.listing.tokenLabel, serial: loaded.listing.tokenSerial, present: loaded.listing.present }
        : null,
    };
    process.stdout.write(`${JSON.stringify({ sources, certificates: entries.map(entryJson) }, null, 2)}\n`);
    return 0;
  }
  const from = [
    loaded.ca ? `internal CA in ${dataDir}` : `no internal CA in ${dataDir}`,
    loaded.listing
      ? `token "${loaded.listing.tokenLabel}"${loaded.listing.present ? '' : ' (absent)'}`
      : 'no token configured',
  ].join(', ');
  process.stdout.write(`${entries.length} certificate(s) (${from})\n`);
  if (entries.length > 0) process.stdout.write(`${inventoryTable(entries)}\n`);
  return 0;
}
