/**
 * Fits a stamp's text into its box, for both stamp styles. Each logical line (a block) wraps onto as many rows
 * as the box width needs (at spaces, after hyphens, inside a word only when the word alone is wider), and the box
 * grows taller. Only when the rows are taller than the room left in the page's sixth are all sizes shrunk
 * together, never below MIN_FONT_SIZE (7 pt at 100 % zoom). If that is still too tall, the least important blocks
 * give way in their `cut` order: first cut to fewer rows ending in "…", then, if needed, left out; blocks marked
 * `keep` (the signer's name, the signing time, a style's title) never give way. What is still too tall after
 * that (pages smaller than A6) is the caller's to scale as a whole (see `fitScale`).
 */
import type { FontSubset } from './font-subset.js';

/** The smallest type on a stamp, in points at 100 % zoom, on every page from A6 up. */
export const MIN_FONT_SIZE = 7;
/** Row height as a multiple of the font size. */
const LEADING = 1.25;
/** Baseline below the row's top, in font sizes: DejaVu Sans rises 0.93 em and drops 0.24 em around it. */
const BASELINE = 1;
/** Space taken by a separator rule under a block, in points. */
const RULE_GAP = 4;
/** Steps in which sizes shrink, in points of the smallest block. */
const SHRINK_STEP = 0.25;
const ELLIPSIS = '…';

/** One logical line of a stamp. */
export interface StampBlock {
  text: string;
  /** Preferred size in points; shrunk only as far as the smallest block stays at MIN_FONT_SIZE. */
  size: number;
  centered?: boolean;
  /** Never shortened or left out. */
  keep?: boolean;
  /** Order of giving way when nothing else fits: the highest `cut` goes first. @default 0 */
  cut?: number;
  /** A separator rule follows the block. */
  ruleAfter?: boolean;
}

/** One row as drawn: `baseline` is measured down from the top of the text area. */
export interface StampRow {
  text: string;
  size: number;
  centered: boolean;
  baseline: number;
}

export interface StampTextLayout {
  rows: StampRow[];
  /** Separator rules, measured down from the top of the text area. */
  rules: number[];
  height: number;
}

interface Wrapped {
  block: StampBlock;
  size: number;
  rows: string[];
}

/** Lays `blocks` out in a text area `width` wide and at most `maxHeight` tall (see the file comment). */
export function layoutText(font: FontSubset, blocks: StampBlock[], width: number, maxHeight: number): StampTextLayout {
  const present = blocks.filter((b) => b.text.trim() !== '');
  const smallest = Math.min(...present.map((b) => b.size));
  const minScale = Math.min(1, MIN_FONT_SIZE / smallest);
  let scale = 1;
  let wrapped = wrapAll(font, present, width, scale);
  while (heightOf(wrapped) > maxHeight && scale > minScale) {
    scale = Math.max(minScale, scale - SHRINK_STEP / smallest);
    wrapped = wrapAll(font, present, width, scale);
  }
  if (heightOf(wrapped) > maxHeight) giveWay(font, wrapped, width, maxHeight);
  return position(wrapped);
}

/**
 * The factor by which a stamp of `width` × `height` must be scaled as a whole to fit `room`: 1 whenever the layout
 * fit, which it does on every page from A6 up.
 */
export function fitScale(width: number, height: number, room: { width: number; height: number }): number {
  return Math.min(1, room.width / width, room.height / height);
}

function wrapAll(font: FontSubset, blocks: StampBlock[], width: number, scale: number): Wrapped[] {
  return blocks.map((block) => {
    const size = block.size * scale;
    return { block, size, rows: wrapText(font, block.text, size, width) };
  });
}

function heightOf(wrapped: Wrapped[]): number {
  return wrapped.reduce((sum, w) => sum + w.rows.length * w.size * LEADING + (w.block.ruleAfter ? RULE_GAP : 0), 0);
}

/** Cuts, then leaves out, blocks in `cut` order until the rows fit (or only kept blocks are left). */
function giveWay(font: FontSubset, wrapped: Wrapped[], width: number, maxHeight: number): void {
  const order = wrapped.filter((w) => !w.block.keep).sort((a, b) => (b.block.cut ?? 0) - (a.block.cut ?? 0));
  for (const w of order) {
    while (w.rows.length > 1 && heightOf(wrapped) > maxHeight) {
      w.rows.pop();
      w.rows[w.rows.length - 1] = withEllipsis(font, w.rows[w.rows.length - 1]!, w.size, width);
    }
  }
  for (const w of order) {
    if (heightOf(wrapped) <= maxHeight) break;
    w.rows = [];
  }
}

function withEllipsis(font: FontSubset, row: string, size: number, width: number): string {
  const chars = [...row.trimEnd()];
  while (chars.length > 0 && font.widthOf(`${chars.join('')}${ELLIPSIS}`, size) > width) chars.pop();
  return `${chars.join('').trimEnd()}${ELLIPSIS}`;
}

function position(wrapped: Wrapped[]): { rows: StampRow[]; rules: number[]; height: number } {
  const rows: StampRow[] = [];
  const rules: number[] = [];
  let y = 0;
  for (const w of wrapped) {
    if (w.rows.length === 0) continue;
    for (const text of w.rows) {
      rows.push({ text, size: w.size, centered: w.block.centered ?? false, baseline: y + w.size * BASELINE });
      y += w.size * LEADING;
    }
    if (w.block.ruleAfter) {
      rules.push(y + RULE_GAP / 2);
      y += RULE_GAP;
    }
  }
  return { rows, rules, height: y };
}

/**
 * Splits `text` into rows no wider than `width` at `size`: between words, after a hyphen inside a word, and
 * between characters only for a piece that is wider than a row by itself. No-break spaces (U+00A0) join.
 */
export function wrapText(font: FontSubset, text: string, size: number, width: number): string[] {
  const rows: string[] = [];
  let row = '';
  const fits = (candidate: string) => font.widthOf(candidate, size) <= width;
  // Any whitespace but the no-break space separates words (stamp-time.ts keeps a time together with it).
  for (const word of text.split(/[^\S\u00a0]+/).filter(Boolean)) {
    word.split(/(?<=-)(?=.)/).forEach((piece, i) => {
      const joined = row === '' ? piece : `${row}${i === 0 ? ' ' : ''}${piece}`;
      if (fits(joined)) {
        row = joined;
        return;
      }
      if (row !== '') rows.push(row);
      row = '';
      for (const ch of piece) {
        if (row !== '' && !fits(row + ch)) {
          rows.push(row);
          row = '';
        }
        row += ch;
      }
    });
  }
  if (row !== '') rows.push(row);
  return rows;
}

/** The PDF operators that draw `layout`'s rows in font /F1, its text area's top-left corner at (`x`, `top`). */
export function rowOps(font: FontSubset, layout: StampTextLayout, x: number, top: number, width: number): string[] {
  const ops = ['BT'];
  for (const row of layout.rows) {
    const left = row.centered ? x + (width - font.widthOf(row.text, row.size)) / 2 : x;
    ops.push(
      `/F1 ${fmt(row.size)} Tf`,
      `1 0 0 1 ${fmt(left)} ${fmt(top - row.baseline)} Tm`,
      `<${font.encode(row.text)}> Tj`,
    );
  }
  ops.push('ET');
  return ops;
}

/** A number for a content stream: at most three decimals, no trailing zeros. */
export function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(3).replace(/0+$/, '').replace(/\.$/, '');
}
