/**
 * Peer for the signing benchmark: "the pdf-lib + @signpdf way" of adding one signature, as the
 * @signpdf README and most Node projects do it. pdf-lib loads the whole document, the placeholder
 * helper adds the signature field and dictionary, pdf-lib re-serialises the whole file (not an
 * incremental update [ISO 32000-1 §7.5.6]), and P12Signer (node-forge) builds the CMS.
 *
 * Usage: node dist/bench/peers/pdflib-signpdf.js IN.pdf OUT.pdf KEY.p12 PASSWORD
 */
import { readFile, writeFile } from 'node:fs/promises';
import { pdflibAddPlaceholder } from '@signpdf/placeholder-pdf-lib';
import { P12Signer } from '@signpdf/signer-p12';
import { SignPdf } from '@signpdf/signpdf';
import { SUBFILTER_ETSI_CADES_DETACHED } from '@signpdf/utils';
import { PDFDocument } from 'pdf-lib';
import { AppError, ErrorCode, errorOutcome } from '../../shared/errors.js';

/**
 * Room for the CMS. placeholder-pdf-lib reserves `signatureLength` characters between `<` and `>`, which
 * @signpdf fills with hex, so 16384 holds 8 KiB of DER: ample for one RSA-2048 certificate, no chain.
 */
const SIGNATURE_LENGTH = 16384;

async function main(): Promise<void> {
  const [inPath, outPath, p12Path, password] = process.argv.slice(2);
  if (inPath === undefined || outPath === undefined || p12Path === undefined || password === undefined) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, 'usage: pdflib-signpdf IN.pdf OUT.pdf KEY.p12 PASSWORD');
  }
  const [pdf, p12] = await Promise.all([readFile(inPath), readFile(p12Path)]);
  const pdfDoc = await PDFDocument.load(pdf);
  pdflibAddPlaceholder({
    pdfDoc,
    reason: 'Signing benchmark',
    contactInfo: 'bench@signservice.invalid',
    name: 'SignService Bench Signer',
    location: 'bench',
    subFilter: SUBFILTER_ETSI_CADES_DETACHED,
    signatureLength: SIGNATURE_LENGTH,
  });
  // Classic xref table and no object streams: @signpdf finds the placeholder by scanning plain text.
  const withPlaceholder = await pdfDoc.save({ useObjectStreams: false });
  const signed = await new SignPdf().sign(withPlaceholder, new P12Signer(p12, { passphrase: password }));
  await writeFile(outPath, signed);
}

main().catch((error: unknown) => {
  const appError = AppError.from(error);
  console.error(`pdflib-signpdf: ${appError.message}`);
  process.exitCode = errorOutcome(appError).exit;
});
