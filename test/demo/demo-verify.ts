/**
 * The demo's sample contract and its final check: both signatures must verify, by poppler's pdfsig when it
 * is installed (an independent verifier) and by our own `signservice verify` against the exported root.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PDFDocument, StandardFonts } from 'pdf-lib';

const run = promisify(execFile);

/** A two-page contract made with pdf-lib (an independent producer). */
export async function samplePdf(): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const lines = [
    ['Supply contract #42', 'between Acme Ltd and Globex plc.', '1. Acme supplies 1,000 widgets by 1 March.'],
    ['2. Globex pays within 30 days of delivery.', '', 'Signatures follow.'],
  ];
  for (const page of lines) {
    const p = doc.addPage([595, 842]);
    page.forEach((text, i) => {
      p.drawText(text, { x: 60, y: 760 - i * 24, size: 14, font });
    });
  }
  return Buffer.from(await doc.save({ useObjectStreams: false }));
}

/** pdfsig's "Signature is Valid." count, or undefined when pdfsig is not installed. */
async function pdfsigValid(file: string): Promise<{ valid: number; total: number } | undefined> {
  try {
    const { stdout } = await run('pdfsig', [file]).catch((e: { stdout?: string; code?: unknown }) => {
      if (e.code === 'ENOENT') throw e;
      return { stdout: e.stdout ?? '' };
    });
    return {
      valid: (stdout.match(/Signature Validation: Signature is Valid\./g) ?? []).length,
      total: (stdout.match(/^Signature #\d+:/gm) ?? []).length,
    };
  } catch {
    return undefined;
  }
}

/** Checks the file with pdfsig (when installed) and `signservice verify`; ok when both signatures are valid. */
export async function verifyBoth(
  file: string,
  cli: string,
  rootPem: string,
): Promise<{ ok: boolean; lines: string[] }> {
  const lines: string[] = [];
  const poppler = await pdfsigValid(file);
  if (poppler) lines.push(`pdfsig: ${poppler.valid} of ${poppler.total} signatures valid`);
  else lines.push('pdfsig is not installed; relying on signservice verify');
  let ours = { ok: false, count: 0 };
  try {
    const { stdout } = await run(process.execPath, [cli, 'verify', file, '--trust', rootPem, '--json']);
    const report = JSON.parse(stdout) as { signatures?: unknown[] };
    ours = { ok: true, count: report.signatures?.length ?? 0 };
  } catch (error) {
    lines.push(`signservice verify refused the file: ${(error as { stdout?: string }).stdout ?? error}`);
  }
  if (ours.ok) lines.push(`signservice verify: ${ours.count} signatures intact and trusted (root of the internal CA)`);
  const ok = (poppler ? poppler.valid === 2 && poppler.total === 2 : true) && ours.ok && ours.count === 2;
  return { ok, lines };
}
