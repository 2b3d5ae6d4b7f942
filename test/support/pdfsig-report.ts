/**
 * poppler's `pdfsig` as an independent verifier: run it offline, parse what it prints.
 *
 * pdfsig exits 0 even for a digest mismatch (2 when the file has no signatures, 1 when it cannot be
 * opened), so the verdict is only in stdout. The wording below is poppler 22.12's (`utils/pdfsig.cc`):
 *
 *   Signature #1:
 *     - Signature Field Name: CorpusSignature
 *     - Signer Certificate Common Name: Corpus pdfsig Signer
 *     - Signer full Distinguished Name: O=SignService Tests,CN=Corpus pdfsig Signer
 *     - Signing Time: Nov 27 2026 19:24:18
 *     - Signing Hash Algorithm: SHA-256
 *     - Signature Type: adbe.pkcs7.detached
 *     - Signed Ranges: [0 - 479723], [484509 - 485011]
 *     - Total document signed                      (or "Not total document signed")
 *     - Signature Validation: Signature is Valid.  (or "Digest Mismatch.", "Signature is Invalid.", ...)
 *     - Certificate Validation: Certificate is Trusted.   (only printed when the signature is valid)
 */
import assert from 'node:assert/strict';
import { runTool } from './run-tool.js';

/** One signature as pdfsig reports it. */
export interface PdfsigSignature {
  /** 1-based position in pdfsig's listing (document order of the signature fields). */
  index: number;
  fieldName: string | undefined;
  commonName: string | undefined;
  dn: string | undefined;
  /** As printed, e.g. "Nov 27 2026 19:24:18" (local time of the machine running pdfsig). */
  signingTime: string | undefined;
  hashAlgorithm: string | undefined;
  /** e.g. "adbe.pkcs7.detached" or "ETSI.CAdES.detached". */
  type: string | undefined;
  /** The /ByteRange as [start, end] pairs, end exclusive as pdfsig prints it. */
  ranges: Array<[number, number]>;
  /** True for "Total document signed": the byte ranges cover the whole file. */
  totalDocumentSigned: boolean;
  /** The text after "Signature Validation: ", e.g. "Signature is Valid."; '' if the line is missing. */
  validation: string;
  /** The text after "Certificate Validation: "; undefined when pdfsig skipped it. */
  certificate: string | undefined;
  /** True when pdfsig says "The signature form field is not signed." */
  unsigned: boolean;
}

/** pdfsig's verdict for one file, with the raw output for assertion messages. */
export interface PdfsigReport {
  exitCode: number;
  signatures: PdfsigSignature[];
  stdout: string;
  stderr: string;
}

/** Options for {@link pdfsig}. */
export interface PdfsigOptions {
  /** NSS database whose trusted CAs decide "Certificate is Trusted."; a plain path gets the `sql:` prefix. */
  nssDir?: string;
}

export const SIGNATURE_VALID = 'Signature is Valid.';
export const CERTIFICATE_TRUSTED = 'Certificate is Trusted.';

/** Runs `pdfsig [-nssdir DIR] -no-ocsp FILE` (offline: no OCSP fetch) and parses the report. */
export async function pdfsig(file: string, options: PdfsigOptions = {}): Promise<PdfsigReport> {
  const args = ['-no-ocsp', file];
  if (options.nssDir !== undefined) {
    const dir = /^(sql|dbm):/.test(options.nssDir) ? options.nssDir : `sql:${options.nssDir}`;
    args.unshift('-nssdir', dir);
  }
  const run = await runTool('pdfsig', args);
  return { exitCode: run.exitCode, signatures: parsePdfsigOutput(run.stdout), stdout: run.stdout, stderr: run.stderr };
}

/** Parses pdfsig's stdout into one record per "Signature #N:" block. */
export function parsePdfsigOutput(stdout: string): PdfsigSignature[] {
  const signatures: PdfsigSignature[] = [];
  let current: PdfsigSignature | undefined;
  for (const line of stdout.split('\n')) {
    const header = /^Signature #(\d+):/.exec(line);
    if (header) {
      current = emptySignature(Number(header[1]));
      signatures.push(current);
    } else if (current !== undefined) {
      applyLine(current, line.trim());
    }
  }
  return signatures;
}

function emptySignature(index: number): PdfsigSignature {
  return {
    index,
    fieldName: undefined,
    commonName: undefined,
    dn: undefined,
    signingTime: undefined,
    hashAlgorithm: undefined,
    type: undefined,
    ranges: [],
    totalDocumentSigned: false,
    validation: '',
    certificate: undefined,
    unsigned: false,
  };
}

function applyLine(sig: PdfsigSignature, line: string): void {
  if (line === '- Total document signed') sig.totalDocumentSigned = true;
  if (line === 'The signature form field is not signed.') sig.unsigned = true;
  const field = /^- ([^:]+): (.*)$/.exec(line);
  if (!field) return;
  const [, key, value] = field;
  switch (key) {
    case 'Signature Field Name':
      sig.fieldName = value;
      break;
    case 'Signer Certificate Common Name':
      sig.commonName = value;
      break;
    case 'Signer full Distinguished Name':
      sig.dn = value;
      break;
    case 'Signing Time':
      sig.signingTime = value;
      break;
    case 'Signing Hash Algorithm':
      sig.hashAlgorithm = value;
      break;
    case 'Signature Type':
      sig.type = value;
      break;
    case 'Signed Ranges':
      sig.ranges = [...value.matchAll(/\[(\d+) - (\d+)\]/g)].map((m) => [Number(m[1]), Number(m[2])]);
      break;
    case 'Signature Validation':
      sig.validation = value;
      break;
    case 'Certificate Validation':
      sig.certificate = value;
      break;
  }
}

/**
 * Asserts that pdfsig found exactly `expectedCount` signatures and that every one is
 * "Signature is Valid." with "Certificate is Trusted."; the message names the failing signature
 * and carries pdfsig's whole output.
 */
export function assertAllValidAndTrusted(report: PdfsigReport, expectedCount: number): void {
  const context = `\n--- pdfsig stdout (exit ${report.exitCode}) ---\n${report.stdout}\n--- stderr ---\n${report.stderr}`;
  assert.equal(
    report.signatures.length,
    expectedCount,
    `pdfsig found ${report.signatures.length} signature(s), expected ${expectedCount}${context}`,
  );
  for (const sig of report.signatures) {
    const who = `signature #${sig.index} (field ${sig.fieldName ?? '?'}, signer ${sig.commonName ?? '?'})`;
    assert.equal(sig.validation, SIGNATURE_VALID, `${who}: validation is '${sig.validation}'${context}`);
    assert.equal(sig.certificate, CERTIFICATE_TRUSTED, `${who}: certificate is '${sig.certificate}'${context}`);
  }
}
