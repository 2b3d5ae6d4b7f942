/**
 * Typed wrappers around the independent verifiers installed on the machine (poppler, qpdf, MuPDF).
 * Each runs the real tool with execFile (no shell) and parses its output; see the files named here.
 */
export type { MutoolReport, MutoolSignature } from './mutool-verify.js';
export { mutoolVerify, parseMutoolVerifyOutput } from './mutool-verify.js';
export type { GrayImage, PixelBox, RenderOptions } from './page-render.js';
export { diffBox, parsePgm, renderPageGray } from './page-render.js';
export type { PdfFont, QpdfCheck } from './pdf-inspect.js';
export { parsePdffontsOutput, pdffonts, pdfPageCount, qpdfCheck } from './pdf-inspect.js';
export type { PdfsigOptions, PdfsigReport, PdfsigSignature } from './pdfsig-report.js';
export {
  assertAllValidAndTrusted,
  CERTIFICATE_TRUSTED,
  parsePdfsigOutput,
  pdfsig,
  SIGNATURE_VALID,
} from './pdfsig-report.js';
