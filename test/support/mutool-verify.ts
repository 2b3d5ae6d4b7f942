/**
 * MuPDF's `mutool sign -v` as a second independent verifier. mupdf 1.21 prints, per signature:
 *
 *   Verifying signature 17:                  (17 = object number of the signature field)
 *   	Distinguished name: cn=..., o=..., ou=, email=, c=
 *   	Certificate error: Unknown error.        (or "Certificate is trusted.")
 *   	The document is unchanged since signing.
 *   	  | The signature is valid but there have been edits since signing.
 *   	  | Digest error: Signature invalidated by change to document.
 *   	  | Verification error: <message>          (the check threw, e.g. byte range past end of file)
 *   	  | Signature is not signed.
 *
 * mutool trusts only the Adobe root compiled into it (source/helpers/pkcs7/pkcs7-openssl.c), so
 * the certificate line is an error for any test CA; `valid` therefore means the digest and the
 * CMS signature check out, and `certificate` is kept as text. The exit code is 0 either way.
 */
import { runTool } from './run-tool.js';

/** One signature as mutool reports it. */
export interface MutoolSignature {
  /** What follows "Verifying signature": the signature field's object number in mupdf 1.21. */
  name?: string;
  /** The digest and CMS signature verify (unchanged, or valid with later edits). */
  valid: boolean;
  /** true: "unchanged since signing"; false: "edits since signing"; undefined: no verdict. */
  unchanged: boolean | undefined;
  /** The certificate line without its tab, e.g. "Certificate error: Unknown error.". */
  certificate: string | undefined;
  /** The whole block as printed, for assertion messages. */
  text: string;
}

/** mutool's verdict for one file. */
export interface MutoolReport {
  exitCode: number;
  /** stdout followed by stderr (mutool puts warnings such as xref repairs on stderr). */
  output: string;
  signatures: MutoolSignature[];
}

const UNCHANGED = 'The document is unchanged since signing.';
const EDITED = 'The signature is valid but there have been edits since signing.';

/** Runs `mutool sign -v FILE` and parses one record per "Verifying signature" block. */
export async function mutoolVerify(file: string): Promise<MutoolReport> {
  const run = await runTool('mutool', ['sign', '-v', file]);
  return {
    exitCode: run.exitCode,
    output: run.stdout + run.stderr,
    signatures: parseMutoolVerifyOutput(run.stdout),
  };
}

/** Parses the stdout of `mutool sign -v` (mupdf 1.21 wording, see the module comment). */
export function parseMutoolVerifyOutput(stdout: string): MutoolSignature[] {
  const blocks = stdout.split(/^(?=Verifying signature )/m).filter((b) => b.startsWith('Verifying signature '));
  return blocks.map((block) => {
    const lines = block.split('\n').map((l) => l.trim());
    const name = /^Verifying signature (.*?):?$/.exec(lines[0] ?? '')?.[1];
    const failed = lines.some((l) => /^(Digest error|Verification error):/.test(l) || l === 'Signature is not signed.');
    const unchanged = lines.includes(UNCHANGED) ? true : lines.includes(EDITED) ? false : undefined;
    return {
      ...(name === undefined ? {} : { name }),
      valid: !failed && unchanged !== undefined,
      unchanged,
      certificate: lines.find((l) => l.startsWith('Certificate ')),
      text: block.trimEnd(),
    };
  });
}
