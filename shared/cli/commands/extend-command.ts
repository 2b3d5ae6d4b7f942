/** `signservice extend FILE.pdf [-o OUT.pdf] --level B-LT|B-LTA --tsa URL [--json]` — archive renewal. */
import { createRevocationFetcher } from '../../crypto/revocation/revocation-fetcher.js';
import { requestTimestampForDigest } from '../../crypto/tsa-client.js';
import { extendPdfFile } from '../../pdf/long-term/extend-pdf.js';
import { invalid, parseCommandArgs } from '../cli-args.js';

const HELP = `Usage: signservice extend FILE.pdf [-o OUT.pdf] --level B-LT|B-LTA [--tsa URL] [--json]

Adds long-term validation data to a signed PDF as incremental updates, never touching earlier revisions:
a fresh DSS with every certificate of every signature's and timestamp's chain and, for each, a current
OCSP response or CRL fetched from the URLs the certificates name; with B-LTA also a document timestamp
over it all. Run it again before the last document timestamp's TSA certificate expires (archive renewal):
each run adds a newer DSS and document timestamp. Without -o the file is replaced (atomically).
A TSA or revocation source that fails makes the command fail; nothing is written then.

  -o, --output FILE   where to write (default: FILE.pdf itself)
  --level LEVEL       B-LT (DSS only) or B-LTA (DSS and document timestamp; needs --tsa)
  --tsa URL           RFC 3161 timestamp authority for the document timestamp
  --timeout SECONDS   time limit of each TSA, OCSP and CRL request (default 10)
  --json              print the result as JSON
  -h, --help          this help`;

export async function run(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseCommandArgs(argv, {
    output: { type: 'string', short: 'o' },
    level: { type: 'string' },
    tsa: { type: 'string' },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (v.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw invalid('exactly one signed PDF is required');
  const level = v.level;
  if (level !== 'B-LT' && level !== 'B-LTA') throw invalid('--level must be B-LT or B-LTA');
  if (level === 'B-LTA' && !v.tsa) throw invalid('B-LTA needs --tsa URL for the document timestamp');
  const seconds = v.timeout === undefined ? 10 : Number(v.timeout);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 300) throw invalid('--timeout must be 1 to 300 seconds');
  const timeoutMs = seconds * 1000;
  const input = positionals[0]!;
  const output = v.output ?? input;
  const tsa = v.tsa;
  const result = await extendPdfFile(input, output, {
    level,
    fetcher: createRevocationFetcher({ timeoutMs }),
    ...(tsa ? { timestamp: (digest: Buffer) => requestTimestampForDigest(tsa, digest, { timeoutMs }) } : {}),
  });
  const summary = {
    output,
    level,
    outputSize: result.bytes.length,
    added: result.added,
    documentTimestamp: result.documentTimestamp,
  };
  if (v.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    const { certificates, ocspResponses, crls } = result.added;
    process.stdout.write(
      `Extended ${input} -> ${output} to ${level}: DSS +${certificates} certificate(s), +${ocspResponses} OCSP ` +
        `response(s), +${crls} CRL(s)${result.documentTimestamp ? `; document timestamp ${result.documentTimestamp}` : ''}` +
        `, ${result.bytes.length} bytes\n`,
    );
  }
  return 0;
}
