/** `signservice verify FILE.pdf [--trust CA.pem]... [--json]` — exit 0 only when every signature is intact. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRevocationFetcher } from '../../crypto/revocation/revocation-fetcher.js';
import { AppError, ErrorCode } from '../../errors.js';
import { fileIoError } from '../../fs/file-error.js';
import { fetchValidationData } from '../../pdf/long-term/fetch-validation-data.js';
import { FileSource } from '../../pdf/pdf-source.js';
import { type SignatureReport, verifyPdf } from '../../pdf/verify-pdf.js';
import { invalid, parseCommandArgs, readFileFor } from '../cli-args.js';

const HELP = `Usage: signservice verify FILE.pdf [--trust CA.pem]... [--revocation hard-fail|soft-fail] [--fetch] [--json]

Checks every signature and document timestamp: integrity (digest and signature), the PAdES level reached
(B-B, B-T, B-LT, B-LTA), the revision it covers, whether a later revision changed more than signatures,
form fields and validation data, with --trust whether the certificates chain to one of the given roots,
and revocation from the validation data the document carries (its DSS): whether that data is complete for
validation without network, and the time certificates were judged at (now, or a timestamp's time once a
certificate has expired). Nothing is fetched unless --fetch is given.
Exit status: 0 when every signature is intact (and trusted with --trust, and its revocation established
with --revocation hard-fail), 1 otherwise.

  --trust FILE        trusted root certificate(s), PEM or DER; may be repeated
  --revocation MODE   hard-fail: a certificate that names a CRL or OCSP source must have revocation data,
                      else the signature fails; soft-fail (default): missing data is only reported
  --fetch             also fetch missing chains and revocation data from the certificates' URLs
  --json              print the report as JSON
  -h, --help          this help`;

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
  const what = s.kind === 'document-timestamp' ? 'Document timestamp' : 'Signature';
  const data = s.validationData;
  const lines = [
    `${what} ${s.index} (field ${s.fieldName}): ${s.ok ? 'INTACT' : 'NOT INTACT'}`,
    `  ${s.kind === 'document-timestamp' ? 'TSA:   ' : 'signer:'}      ${s.signer ? `${s.signer.subject} (serial ${s.signer.serialNumber})` : 'unknown'}`,
    `  signed at:   ${s.signingTime?.toISOString() ?? 'no /M'}${s.timestamp ? `; timestamp ${s.timestamp.time.toISOString()} (${s.timestamp.valid ? 'valid' : 'INVALID'})` : ''}`,
    `  format:      ${s.subFilter ?? '?'}${s.kind === 'signature' ? `; PAdES level ${s.level}` : ''}`,
    `  judged at:   ${s.validationTime.time.toISOString()} (${s.validationTime.basis})`,
    `  offline:     ${data.completeForOffline ? 'validation data complete' : `INCOMPLETE (${data.missing.join('; ')})`}; revocation checked at ${data.checkedAt.toISOString()}: ${data.certificates.map((c) => `${c.subject} ${c.status}${c.source ? ` (${c.source})` : ''}`).join(', ')}`,
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
    revocation: { type: 'string' },
    fetch: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (v.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw invalid('exactly one PDF is required');
  const revocation = v.revocation ?? 'soft-fail';
  if (revocation !== 'hard-fail' && revocation !== 'soft-fail')
    throw invalid('--revocation must be hard-fail or soft-fail');
  const file = positionals[0]!;
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw fileIoError('read', file, e);
  }
  try {
    const roots = v.trust ? loadRoots(v.trust) : undefined;
    const source = new FileSource(fd);
    const fetched = v.fetch ? await fetchValidationData(source, createRevocationFetcher()) : undefined;
    for (const failure of fetched?.failures ?? []) process.stderr.write(`signservice: could not fetch: ${failure}\n`);
    const report = verifyPdf(source, {
      revocation,
      ...(roots ? { trustRoots: roots } : {}),
      ...(fetched ? { extraValidationData: fetched.data } : {}),
    });
    if (report.signatures.length === 0) throw new AppError(ErrorCode.PDF_NOT_SIGNED, `${file} has no signatures`);
    if (v.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      const dss = report.dss.present
        ? `DSS (revision ${report.dss.revision}): ${report.dss.certificates} certificate(s), ${report.dss.ocspResponses} OCSP response(s), ${report.dss.crls} CRL(s)`
        : 'no DSS (no embedded validation data)';
      process.stdout.write(
        `${report.signatures.map(describe).join('\n')}\n${dss}; revocation ${report.revocationMode}\n`,
      );
    }
    return report.allOk ? 0 : 1;
  } finally {
    fs.closeSync(fd);
  }
}
