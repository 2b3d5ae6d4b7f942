/**
 * The independent check of every benchmark output: poppler's `pdfsig` verifying the signature.
 * pdfsig exits 0 even for "Digest Mismatch." or a broken file, so the verdict comes from its stdout.
 */
import { runCommand } from './run-command.js';

/** What pdfsig said about one signed output. */
export interface PdfsigVerdict {
  /** True only for exactly one signature that is valid and covers the whole file. */
  valid: boolean;
  signatures: number;
  /** pdfsig's own words, for the table and the JSON. */
  detail: string;
}

/**
 * Reads pdfsig's report. The inputs carry no signature, so a correct output holds exactly one; it must
 * say "Signature is Valid." and "Total document signed" (its ByteRange covers every byte but the
 * /Contents hex string [ISO 32000-1 §12.8.1]), else bytes appended after signing would go unnoticed.
 */
export function readPdfsigVerdict(stdout: string, stderr = ''): PdfsigVerdict {
  const signatures = (stdout.match(/^Signature #\d+:/gm) ?? []).length;
  const validations = [...stdout.matchAll(/Signature Validation: (.*)$/gm)].map((m) => m[1]!.trim());
  const whole = /^\s*- Total document signed\s*$/m.test(stdout);
  if (signatures !== 1) {
    const said = (stdout.trim() || stderr.trim()).split('\n').pop() ?? '';
    return { valid: false, signatures, detail: `expected 1 signature, pdfsig found ${signatures}: ${said}` };
  }
  const validation = validations[0] ?? 'no validation line';
  const valid = validation === 'Signature is Valid.' && whole;
  const detail = `${validation}${whole ? '' : ' Not total document signed.'}`;
  return { valid, signatures, detail };
}

/** Verifies `pdfPath` with pdfsig against the NSS database `nssDb`, offline (`-no-ocsp`). */
export async function checkWithPdfsig(nssDb: string, pdfPath: string): Promise<PdfsigVerdict> {
  const result = await runCommand('pdfsig', ['-nssdir', nssDb, '-no-ocsp', pdfPath], { timeoutMs: 120_000 });
  return readPdfsigVerdict(result.stdout, result.stderr);
}
