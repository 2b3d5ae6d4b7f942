/** `signservice verify FILE.pdf [--trust CA.pem]... [--json]` — exit 0 only when every signature is intact. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { AppError, ErrorCode } from '../../errors.js';
import { FileSource } from '../../pdf/pdf-source.js';
import { type SignatureReport, verifyPdf } from '../../pdf/verify-pdf.js';
import { invalid, parseCommandArgs, readFileFor } from '../cli-args.js';

const HELP = `Usage: signservice verify FILE.pdf [--trust CA.pem]... [--json]

Checks every signature: integrity (digest and signature), PAdES level (B-B / B-T), the revision it
covers, whether a later revision changed more than signature fields and their widgets, and, with
--trust, whether the certificate chains to one of the given roots.
Exit status: 0 when every signature is intact (and trusted, when --trust is given), 1 otherwise.

  --trust FILE   trusted root certificate(s), PEM or DER; may be repeated
  --json         print the report as JSON
  -h, --help     this help`;

function loadRoots(files: string[]): Buffer[] {
  return files.flatMap((file) => {
    const bytes = readFileFor('trust file', file);
    const text = bytes.toString('latin1');
    const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
    try {
      return pems ? pems.map((p) => new crypto.X509Certificate(p).raw) : [new crypto.X509Certificate(bytes).raw];
    } catch {
      throw new AppError(ErrorCode.KEY_INVALID, `the trust file ${file} holds no readable certificate`);
    }
  });
}

function describe(s: SignatureReport): string {
  const lines = [
    `Signature ${s.index} (field ${s.fieldName}): ${s.ok ? 'INTACT' : 'NOT INTACT'}`,
    `  signer:      ${s.signer ? `${s.signer.subject} (serial ${s.signer.serialNumber})` : 'unknown'}`,
    `  signed at:   ${s.signingTime?.toISOString() ?? 'no /M'}${s.timestamp ? `; timestamp ${s.timestamp.time.toISOString()} (${s.timestamp.valid ? 'valid' : 'INVALID'})` : ''}`,
    `  format:      ${s.subFilter ?? '?'}; PAdES level ${s.level}`,
    `  integrity:   ${s.integrity ? 'digest and signature valid' : 'FAILED'}`,
    `  trust:       ${s.trusted === undefined ? 'not checked (no --trust)' : s.trusted ? `trusted (${s.chain.join(' <- ')})` : 'NOT trusted'}`,
    `  covers:      revision ${s.revision ?? '?'} of ${s.totalRevisions}${s.coversWholeDocument ? ' (the whole document)' : ''}`,
  ];
  if (s.laterChanges.allowed.length && !s.coversWholeDocument)
    lines.push(`  later:       ${s.laterChanges.allowed.length} allowed change(s) (signatures added)`);
  for (const d of s.laterChanges.disallowed) lines.push(`  CHANGED:     ${d}`);
  for (const p of s.problems) lines.push(`  problem:     ${p}`);
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseCommandArgs(argv, {
    trust: { type: 'string', multiple: true },
    json: { type: 'boolean' },
  });
  if (v.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw invalid('exactly one PDF is required');
  const file = positionals[0]!;
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new AppError(ErrorCode.FILE_IO, `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  try {
    const roots = v.trust ? loadRoots(v.trust) : undefined;
    const report = verifyPdf(new FileSource(fd), roots ? { trustRoots: roots } : {});
    if (report.signatures.length === 0) throw new AppError(ErrorCode.PDF_NOT_SIGNED, `${file} has no signatures`);
    if (v.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write(`${report.signatures.map(describe).join('\n')}\n`);
    return report.allOk ? 0 : 1;
  } finally {
    fs.closeSync(fd);
  }
}
