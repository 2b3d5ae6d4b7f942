/**
 * `signservice cert list`: the one certificate inventory across the configured token and the internal CA.
 * `signservice cert name ID NAME | --clear`: the display name people see wherever the certificate is chosen.
 */
import { describeCertificate } from '../../crypto/certificate-info.js';
import { findInventoryEntry } from '../../crypto/certificate-inventory.js';
import { CERTIFICATE_NAME_MAX } from '../../domain/certificate-name.js';
import { invalid, parseCommandArgs, parseListCommand } from '../cli-args.js';
import { cliConfig } from '../cli-config.js';
import { openCliStore } from '../cli-store.js';
import { caStoreIn, DATA_DIR_HELP, DATA_DIR_OPTION, dataDirFrom, existingDataDir } from '../data-dir.js';
import { entryJson, inventoryTable } from '../inventory-format.js';
import { loadInventory } from '../inventory-loader.js';
import { TOKEN_HELP, TOKEN_OPTIONS, tokenRequested, tokenSelection } from '../token-options.js';

const HELP = `Usage: signservice cert list [--json] [token flags] [--data-dir DIR]
       signservice cert name ID NAME [--data-dir DIR]
       signservice cert name ID --clear [--data-dir DIR]

Lists every certificate SignService can sign with: those on the configured token (when a token is
configured by flags or environment) and those issued by the internal CA in the data directory. Each has
a stable id (SHA-256 of the certificate; any unique prefix of 8+ digits works with
'signservice sign --cert-id'), subject, issuer, serial, validity, key type and size, where the key is,
and a status: valid, expired, not-yet-valid, revoked, key-missing or token-absent (an unplugged token's
certificates as last listed). Internal-CA certificates are marked "internal use".

'cert name' gives a certificate (id or a unique prefix of 8+ digits) a display name of up to
${CERTIFICATE_NAME_MAX} characters, e.g. "Accounting seal" or "Token 2 - contracts", shown instead of its subject
wherever a signer chooses a certificate; --clear removes it. Recorded in the sign log.

${TOKEN_HELP}
Other:
${DATA_DIR_HELP}
  --json                  print the inventory as JSON
  -h, --help              this help`;

const OPTIONS = { ...TOKEN_OPTIONS, ...DATA_DIR_OPTION, json: { type: 'boolean' } } as const;

const NAME_OPTIONS = { ...DATA_DIR_OPTION, clear: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

async function runName(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, NAME_OPTIONS);
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const [ref, name, extra] = positionals;
  if (!ref) throw invalid('ID is required (see `signservice cert list`)');
  if (extra !== undefined) throw invalid(`unexpected argument '${extra}' (quote a name with spaces)`);
  const trimmed = name?.trim();
  if (values.clear ? trimmed !== undefined : !trimmed) throw invalid('give either NAME or --clear');
  if (trimmed && trimmed.length > CERTIFICATE_NAME_MAX)
    throw invalid(`NAME is at most ${CERTIFICATE_NAME_MAX} characters`);
  const config = cliConfig(values['data-dir']);
  const { store } = await openCliStore(config);
  try {
    const { loadServiceInventory } = await import('../../admin/service-inventory.js');
    const { dataDir } = config;
    const { entries } = await loadServiceInventory({ caStore: caStoreIn(dataDir), dataDir, now: new Date() });
    const entry = findInventoryEntry(entries, ref);
    const at = new Date();
    await store.transaction(async () => {
      await store.certificateNames.set(entry.id, trimmed, at);
      await store.signLog.append({
        time: at,
        outcome: 'ok',
        action: 'certificate_named',
        actor: { role: 'cli' },
        certificate: { id: entry.id, subject: entry.subject, serialNumber: entry.serialNumber },
        details: { name: trimmed ?? '' },
      });
    });
    process.stdout.write(trimmed ? `Named ${entry.id}: "${trimmed}".\n` : `Removed the display name of ${entry.id}.\n`);
    return 0;
  } finally {
    await store.close();
  }
}

export async function run(argv: string[]): Promise<number> {
  if (argv[0] === 'name') return runName(argv.slice(1));
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
