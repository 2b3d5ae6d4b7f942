/**
 * Reads signed pages back as people and printers see them: every page rendered by poppler's pdftoppm (the
 * visible CropBox, rotation applied), and the drawn text as MuPDF lays it out (`mutool draw -F stext`: each
 * character with its font, its size as drawn on the page — the content stream's Tf times every matrix on the way,
 * the form's /Matrix and `cm` included — and its box in page points from the top-left corner). Plus the three
 * independent verdicts every signing test keeps: pdfsig, qpdf --check and mutool sign -v.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTool } from '../../support/run-tool.js';
import { type GrayImage, mutoolVerify, parsePgm, pdfsig, qpdfCheck, SIGNATURE_VALID } from '../../support/verifiers.js';

/** One drawn character. The box is in points from the page's visible top-left corner, y down. */
export interface DrawnChar {
  c: string;
  font: string;
  size: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Every page of `file` rendered in gray at `dpi` (CropBox, rotation applied), in page order. */
export async function renderPages(file: string, dpi: number): Promise<GrayImage[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stamp-render-'));
  try {
    const run = await runTool('pdftoppm', ['-gray', '-cropbox', '-r', String(dpi), file, path.join(dir, 'p')]);
    assert.equal(run.exitCode, 0, `pdftoppm: ${run.stderr}`);
    // pdftoppm numbers pages p-1.pgm or p-01.pgm ... depending on the page count; the number sorts them.
    const files = fs.readdirSync(dir).sort((a, b) => pageNumber(a) - pageNumber(b));
    return files.map((name) => parsePgm(fs.readFileSync(path.join(dir, name))));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function pageNumber(name: string): number {
  return Number(/-(\d+)\.pgm$/.exec(name)?.[1]);
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, ref: string) => {
    if (ref.startsWith('#x') || ref.startsWith('#X')) return String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(Number(ref.slice(1)));
    return ENTITIES[ref] ?? whole;
  });
}

/** The characters MuPDF draws on each page of `file` (annotations' appearances included), in page order. */
export async function drawnText(file: string): Promise<DrawnChar[][]> {
  const run = await runTool('mutool', ['draw', '-F', 'stext', '-o', '-', file]);
  assert.equal(run.exitCode, 0, `mutool draw: ${run.stderr}`);
  const pages: DrawnChar[][] = [];
  let font = { name: '', size: 0 };
  for (const line of run.stdout.split('\n')) {
    if (line.startsWith('<page ')) pages.push([]);
    const f = /<font name="([^"]*)" size="([\d.]+)"/.exec(line);
    if (f) font = { name: f[1]!, size: Number(f[2]) };
    const ch = /<char quad="([^"]+)".* c="([^"]*)"\/>/.exec(line);
    if (ch && pages.length > 0) {
      const q = ch[1]!.split(' ').map(Number);
      const xs = [q[0]!, q[2]!, q[4]!, q[6]!];
      const ys = [q[1]!, q[3]!, q[5]!, q[7]!];
      pages[pages.length - 1]!.push({
        c: unescapeXml(ch[2]!),
        font: font.name,
        size: font.size,
        x0: Math.min(...xs),
        y0: Math.min(...ys),
        x1: Math.max(...xs),
        y1: Math.max(...ys),
      });
    }
  }
  return pages;
}

/** The characters as one string without any whitespace (wrapping adds and moves line breaks, never letters). */
export function squeezed(chars: DrawnChar[] | string): string {
  const text = typeof chars === 'string' ? chars : chars.map((ch) => ch.c).join('');
  return text.replace(/[\s\u00a0]+/g, '');
}

/** pdfsig, qpdf and mutool all find `count` intact signatures and a sound file. */
export async function assertSignaturesIntact(file: string, count: number): Promise<void> {
  const [sig, qpdf, mutool] = await Promise.all([pdfsig(file), qpdfCheck(file), mutoolVerify(file)]);
  assert.equal(sig.signatures.length, count, sig.stdout);
  for (const s of sig.signatures) assert.equal(s.validation, SIGNATURE_VALID, sig.stdout);
  assert.equal(qpdf.exitCode, 0, qpdf.output);
  assert.equal(mutool.signatures.length, count, mutool.output);
  for (const s of mutool.signatures) assert.ok(s.valid, s.text);
}
