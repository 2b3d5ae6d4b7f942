/**
 * Structural checks by independent tools: `qpdf --check` (xref and object syntax), page count,
 * and poppler's `pdffonts` (which fonts a file uses and whether they are embedded).
 */
import { AppError, ErrorCode } from '../../shared/errors.js';
import { runTool } from './run-tool.js';

/** The result of `qpdf --check`: 0 = clean, 2 = errors, 3 = warnings only (qpdf manual, "Exit Status"). */
export interface QpdfCheck {
  exitCode: number;
  /** stdout followed by stderr (qpdf prints warnings on stderr). */
  output: string;
}

/** One row of `pdffonts`. */
export interface PdfFont {
  /** e.g. "Helvetica" or "ABCDEF+DejaVuSans"; "[none]" when the font has no name. */
  name: string;
  /** e.g. "Type 1", "TrueType", "CID TrueType", "CID Type 0C (OT)". */
  type: string;
  /** e.g. "WinAnsi", "Identity-H", "Custom". */
  encoding: string;
  embedded: boolean;
  subset: boolean;
  /** The font has a ToUnicode map (text can be extracted / searched). */
  unicode: boolean;
  /** Object number of the font dictionary; undefined when pdffonts prints "[none]". */
  objectNumber: number | undefined;
}

/** Runs `qpdf --check FILE`; never throws for a damaged file, the exit code is the verdict. */
export async function qpdfCheck(file: string): Promise<QpdfCheck> {
  const run = await runTool('qpdf', ['--check', file]);
  return { exitCode: run.exitCode, output: run.stdout + run.stderr };
}

/** The number of pages according to `qpdf --show-npages`; throws if qpdf cannot read the file. */
export async function pdfPageCount(file: string): Promise<number> {
  const run = await runTool('qpdf', ['--show-npages', file]);
  const count = Number(run.stdout.trim());
  if (run.exitCode !== 0 || !Number.isInteger(count)) {
    throw new AppError(ErrorCode.INTERNAL, `qpdf --show-npages ${file} failed (exit ${run.exitCode}): ${run.stderr}`);
  }
  return count;
}

/** The fonts of all pages according to poppler's `pdffonts`; throws if it cannot read the file. */
export async function pdffonts(file: string): Promise<PdfFont[]> {
  const run = await runTool('pdffonts', [file]);
  if (run.exitCode !== 0) {
    throw new AppError(ErrorCode.INTERNAL, `pdffonts ${file} failed (exit ${run.exitCode}): ${run.stderr}`);
  }
  return parsePdffontsOutput(run.stdout);
}

/** Font types as poppler names them (`utils/pdffonts.cc`), longest first so suffix matching is exact. */
const FONT_TYPES = [
  'CID TrueType (OT)',
  'CID Type 0C (OT)',
  'TrueType (OT)',
  'Type 1C (OT)',
  'CID TrueType',
  'CID Type 0C',
  'CID Type 0',
  'TrueType',
  'Type 1C',
  'Type 1',
  'Type 3',
  'unknown',
];

/** The flags and object id at the end of a row; the encoding is the token before them. */
const ROW_TAIL = /^(.*\S)\s+(\S+)\s+(yes|no)\s+(yes|no)\s+(yes|no)\s+(?:(\d+)\s+\d+|\[none\])\s*$/;

/**
 * Parses pdffonts' table. Columns are fixed-width only while names fit in 36 characters, so each
 * row is read from the right: object id, uni, sub, emb, encoding (no spaces), then the font type
 * (a known phrase that may contain spaces), and the name is what is left.
 */
export function parsePdffontsOutput(stdout: string): PdfFont[] {
  const rows = stdout.split('\n').slice(2); // header line and dashes
  const fonts: PdfFont[] = [];
  for (const row of rows) {
    const m = ROW_TAIL.exec(row);
    if (!m) continue;
    const [, nameAndType = '', encoding = '', emb, sub, uni, objectNumber] = m;
    const type = FONT_TYPES.find((t) => nameAndType.endsWith(` ${t}`));
    fonts.push({
      name: type === undefined ? nameAndType : nameAndType.slice(0, -type.length).trim(),
      type: type ?? 'unknown',
      encoding,
      embedded: emb === 'yes',
      subset: sub === 'yes',
      unicode: uni === 'yes',
      objectNumber: objectNumber === undefined ? undefined : Number(objectNumber),
    });
  }
  return fonts;
}
