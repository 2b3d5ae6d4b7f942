/** `signservice sign IN.pdf -o OUT.pdf (--p12 FILE | --key KEY.pem --cert CERT.pem) [...]` */
import type { SigningKey } from '../../crypto/signing-key.js';
import { loadPemKey, loadPkcs12 } from '../../crypto/software-key.js';
import { requestTimestamp } from '../../crypto/tsa-client.js';
import { signPdfFile } from '../../pdf/sign-pdf.js';
import { loadStampImage } from '../../pdf/stamp/stamp-image.js';
import { STAMP_POSITIONS, type StampPosition } from '../../pdf/stamp/stamp-placement.js';
import { invalid, parseCommandArgs, readFileFor } from '../cli-args.js';

const HELP = `Usage: signservice sign IN.pdf -o OUT.pdf (--p12 FILE [--p12-password PW] | --key KEY.pem --cert CERT.pem [--chain CHAIN.pem]) [options]

Adds a PAdES signature (ETSI.CAdES.detached) as an incremental update: IN.pdf is left untouched and is
a byte prefix of OUT.pdf, so earlier signatures stay valid. OUT.pdf is written only on success.

Key:
  --p12 FILE              PKCS#12 file with the key and certificate (chain included if present)
  --p12-password PW       its password (or set SIGNSERVICE_P12_PASSWORD; default empty)
  --key KEY.pem           PEM private key (RSA or EC P-256) ...
  --cert CERT.pem         ... and its certificate
  --chain CHAIN.pem       intermediate/root certificates to embed (PEM, several allowed in one file)
Stamp:
  --page first|last|N     page of the stamp (default last)
  --position POS          ${STAMP_POSITIONS.join('|')} (default bottom-right)
  --invisible             no visible stamp
  --name TEXT             signer name on the stamp (default: the certificate's common name)
  --reason TEXT           reason for signing
  --location TEXT         place of signing
  --image FILE            PNG or JPEG shown on the stamp (e.g. the company seal)
  --lang en|ru            language of the stamp text (default en)
Other:
  --tsa URL               RFC 3161 timestamp authority: adds a signature timestamp (PAdES B-T)
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
  tsa: { type: 'string' },
  'allow-invalid-existing': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

function parsePage(value: string | undefined): 'first' | 'last' | number {
  if (value === undefined || value === 'last') return 'last';
  if (value === 'first') return 'first';
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw invalid(`--page must be first, last or a page number, not '${value}'`);
  return Number(value);
}

async function loadKey(v: Record<string, string | boolean | undefined>): Promise<SigningKey> {
  if (typeof v.p12 === 'string') {
    if (v.key || v.cert) throw invalid('use either --p12 or --key/--cert, not both');
    const password = (v['p12-password'] as string | undefined) ?? process.env.SIGNSERVICE_P12_PASSWORD ?? '';
    return loadPkcs12(readFileFor('PKCS#12 file', v.p12), password);
  }
  if (typeof v.key === 'string' && typeof v.cert === 'string') {
    const chain = typeof v.chain === 'string' ? readFileFor('chain file', v.chain) : undefined;
    return loadPemKey(readFileFor('key file', v.key), readFileFor('certificate file', v.cert), chain);
  }
  throw invalid('a key is required: --p12 FILE, or --key KEY.pem with --cert CERT.pem');
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
  const lang = v.lang ?? 'en';
  if (lang !== 'en' && lang !== 'ru') throw invalid('--lang must be en or ru');
  const page = parsePage(v.page);
  const key = await loadKey(v);
  const image = v.image ? loadStampImage(readFileFor('image', v.image)) : undefined;
  const tsa = v.tsa;
  const result = await signPdfFile(positionals[0]!, v.output, {
    key,
    page,
    position,
    visible: !v.invisible,
    lang,
    ...(v.name ? { name: v.name } : {}),
    ...(v.reason ? { reason: v.reason } : {}),
    ...(v.location ? { location: v.location } : {}),
    ...(image ? { image } : {}),
    ...(tsa ? { timestamp: (value: Buffer) => requestTimestamp(tsa, value) } : {}),
    ...(v['allow-invalid-existing'] ? { allowInvalidExisting: true } : {}),
  });
  if (v.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    process.stdout.write(
      `Signed ${positionals[0]} -> ${v.output}: field ${result.fieldName}, page ${result.pageNumber}` +
        `${v.invisible ? ' (invisible)' : `, ${position}`}, ${result.outputSize} bytes, sha256 ${result.sha256}\n`,
    );
  }
  return 0;
}
