/** `signservice sign IN.pdf -o OUT.pdf (--p12 FILE | --key KEY.pem --cert CERT.pem | --key-id HEX | --cert-id ID) [...]` */
import { checkLevel, signPdfFileAtLevel } from '../../pdf/long-term/sign-at-level.js';
import { STAMP_STYLES, type StampStyle } from '../../pdf/sign-pdf.js';
import { loadStampImage } from '../../pdf/stamp/stamp-image.js';
import { STAMP_POSITIONS, type StampPosition } from '../../pdf/stamp/stamp-placement.js';
import { checkTimeZone } from '../../pdf/stamp/stamp-time.js';
import { invalid, parseCommandArgs, readFileFor } from '../cli-args.js';
import { DATA_DIR_HELP, DATA_DIR_OPTION } from '../data-dir.js';
import { loadSigningKey } from '../signing-key-source.js';
import { TOKEN_HELP, TOKEN_OPTIONS } from '../token-options.js';

const HELP = `Usage: signservice sign IN.pdf -o OUT.pdf KEY [options]
  KEY: --p12 FILE [--p12-password PW] | --key KEY.pem --cert CERT.pem [--chain CHAIN.pem]
     | --key-id HEX (with the token flags) | --cert-id ID

Adds a PAdES signature (ETSI.CAdES.detached) as an incremental update: IN.pdf is left untouched and is
a byte prefix of OUT.pdf, so earlier signatures stay valid. OUT.pdf is written only on success.

Key (exactly one source):
  --p12 FILE              PKCS#12 file with the key and certificate (chain included if present)
  --p12-password PW       its password (or set SIGNSERVICE_P12_PASSWORD; default empty)
  --key KEY.pem           PEM private key (RSA or EC P-256) ...
  --cert CERT.pem         ... and its certificate
  --chain CHAIN.pem       intermediate/root certificates to embed (PEM, several allowed in one file)
  --key-id HEX            the key with this CKA_ID on the token named below (see 'signservice token list')
  --cert-id ID            a certificate of the inventory by id or id prefix (see 'signservice cert list'):
                          an internal-CA certificate, or one on the configured token
  A revoked internal-CA certificate is refused; internal-CA certificates are stamped "internal use".
${TOKEN_HELP}
Data:
${DATA_DIR_HELP}
                          (the internal CA and its master key; SIGNSERVICE_MASTER_KEY[_FILE] override the key)
Stamp:
  --page first|last|N     page of the stamp (default last)
  --position POS          ${STAMP_POSITIONS.join('|')} (default bottom-right)
  --invisible             no visible stamp
  --name TEXT             signer name on the stamp (default: the certificate's common name)
  --reason TEXT           reason for signing
  --location TEXT         place of signing
  --image FILE            PNG or JPEG shown on the stamp (e.g. the company seal)
  --lang en|ru            language of the stamp text (default en; ru with --stamp-style ru-esign)
  --stamp-style STYLE     default | ru-esign: the Russian convention, a frame "ДОКУМЕНТ ПОДПИСАН ЭЛЕКТРОННОЙ
                          ПОДПИСЬЮ" with the certificate serial, owner, signing time and validity
                          (no image; add --lang en for its English wording)
  --time-zone ZONE        IANA time zone of the signer, e.g. Europe/Moscow: the stamp shows the signing time
                          there with its UTC offset (default: the TZ environment variable, else the system's)
  Every stamp line is set at 7 pt or more and kept 10 mm from the page edge; long names wrap.
Other:
  --tsa URL               RFC 3161 timestamp authority: adds a signature timestamp (PAdES B-T)
  --level LEVEL           PAdES baseline level: B-B (no --tsa), B-T (default with --tsa), B-LT (adds a DSS
                          with the chains and their CRLs/OCSP responses, fetched from the certificates'
                          URLs), B-LTA (B-LT plus a document timestamp); B-T and up need --tsa. A TSA or
                          revocation source that fails makes the command fail: nothing falls back
  --allow-invalid-existing  sign even if an existing signature no longer verifies
  --json                  print the result as JSON
  -h, --help              this help`;

const OPTIONS = {
  output: { type: 'string', short: 'o' },
  p12: { type: 'string' },
  'p12-password': { type: 'string' },
  key: { type: 'string' },
  cert: { type: 'string' },
  chain: { type: 'string' },
  page: { type: 'string' },
  position: { type: 'string' },
  invisible: { type: 'boolean' },
  name: { type: 'string' },
  reason: { type: 'string' },
  location: { type: 'string' },
  image: { type: 'string' },
  lang: { type: 'string' },
  'stamp-style': { type: 'string' },
  'time-zone': { type: 'string' },
  tsa: { type: 'string' },
  level: { type: 'string' },
  'allow-invalid-existing': { type: 'boolean' },
  json: { type: 'boolean' },
  'key-id': { type: 'string' },
  'cert-id': { type: 'string' },
  ...TOKEN_OPTIONS,
  ...DATA_DIR_OPTION,
} as const;

function parsePage(value: string | undefined): 'first' | 'last' | number {
  if (value === undefined || value === 'last') return 'last';
  if (value === 'first') return 'first';
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw invalid(`--page must be first, last or a page number, not '${value}'`);
  return Number(value);
}

export async function run(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseCommandArgs(argv, OPTIONS);
  if (v.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw invalid('exactly one input PDF is required');
  if (!v.output) throw invalid('the output file is required: -o OUT.pdf');
  const position = (v.position ?? 'bottom-right') as StampPosition;
  if (!STAMP_POSITIONS.includes(position)) throw invalid(`--position must be one of ${STAMP_POSITIONS.join(', ')}`);
  const lang = v.lang ?? (v['stamp-style'] === 'ru-esign' ? 'ru' : 'en');
  if (lang !== 'en' && lang !== 'ru') throw invalid('--lang must be en or ru');
  const page = parsePage(v.page);
  const stampStyle = (v['stamp-style'] ?? 'default') as StampStyle;
  if (!STAMP_STYLES.includes(stampStyle)) throw invalid(`--stamp-style must be one of ${STAMP_STYLES.join(', ')}`);
  if (stampStyle === 'ru-esign' && v.image) throw invalid('--stamp-style ru-esign shows no image; drop --image');
  const timeZone = checkTimeZone(v['time-zone'], '--time-zone');
  const image = v.image ? loadStampImage(readFileFor('image', v.image)) : undefined;
  const tsa = v.tsa;
  const level = checkLevel(v.level ?? (tsa ? 'B-T' : 'B-B'), tsa, '--level');
  if (level === 'B-B' && tsa) throw invalid('--level B-B makes no timestamp: drop --tsa or choose B-T, B-LT or B-LTA');
  const { key, internalUse, close } = await loadSigningKey(v);
  let result: Awaited<ReturnType<typeof signPdfFileAtLevel>>;
  try {
    result = await signPdfFileAtLevel(
      positionals[0]!,
      v.output,
      {
        key,
        page,
        position,
        visible: !v.invisible,
        lang,
        stampStyle,
        timeZone,
        ...(internalUse ? { internalUse: true } : {}),
        ...(v.name ? { name: v.name } : {}),
        ...(v.reason ? { reason: v.reason } : {}),
        ...(v.location ? { location: v.location } : {}),
        ...(image ? { image } : {}),
        ...(v['allow-invalid-existing'] ? { allowInvalidExisting: true } : {}),
      },
      { level, tsaUrl: tsa },
    );
  } finally {
    await close();
  }
  if (v.json) process.stdout.write(`${JSON.stringify({ ...result, level, internalUse }, null, 2)}\n`);
  else {
    process.stdout.write(
      `Signed ${positionals[0]} -> ${v.output}: field ${result.fieldName}, page ${result.pageNumber}` +
        `${v.invisible ? ' (invisible)' : `, ${position}`}, PAdES ${level}, ${result.outputSize} bytes, sha256 ${result.sha256}` +
        `${internalUse ? ' (internal-use certificate)' : ''}\n`,
    );
  }
  return 0;
}
