/**
 * Where the stamp goes: one of six cells (top|bottom × left|center|right) of the page as the reader
 * sees it, i.e. inside the visible box (CropBox ∩ MediaBox) and after the page's /Rotate is applied.
 * Returns the widget /Rect in default user space and the appearance /Matrix that keeps the stamp
 * upright [ISO 32000-1 §12.5.5 (appearance transformation), §8.3.2.3].
 */
import type { PageInfo } from '../page-tree.js';

export const STAMP_POSITIONS = [
  'top-left',
  'top-center',
  'top-right',
  'bottom-left',
  'bottom-center',
  'bottom-right',
] as const;
export type StampPosition = (typeof STAMP_POSITIONS)[number];

export interface StampPlacement {
  /** Widget rectangle in default user space. */
  rect: [number, number, number, number];
  /** Stamp size as the reader sees it (the appearance BBox is [0 0 width height]). */
  width: number;
  height: number;
  /** The form XObject /Matrix: rotates the upright stamp into the page's unrotated space. */
  matrix: [number, number, number, number, number, number];
}

/**
 * The stamp's distance from the visible page edge: 10 mm plus a little, so that no rendered pixel comes closer
 * than 10 mm (many printers cannot print the outer 4–6 mm). Pages narrower or shorter than 300 pt (smaller than
 * A6) get a tenth of that side instead.
 */
export const STAMP_MARGIN = 30;
/** Space kept free towards the neighbouring sixths. */
const GAP = 2;

/** The largest stamp (points, upright as the reader sees it) that keeps the margin and stays inside its sixth. */
export interface StampRoom {
  width: number;
  height: number;
}

function visibleSize(page: PageInfo): { visW: number; visH: number } {
  const [x0, y0, x1, y1] = page.visibleBox;
  const quarter = page.rotate === 90 || page.rotate === 270;
  return { visW: quarter ? y1 - y0 : x1 - x0, visH: quarter ? x1 - x0 : y1 - y0 };
}

function marginOf(visW: number, visH: number): number {
  return Math.min(STAMP_MARGIN, visW / 10, visH / 10);
}

/** The room of every position on `page`: a third of the visible width and half its height, less margin and gap. */
export function stampRoom(page: PageInfo): StampRoom {
  const { visW, visH } = visibleSize(page);
  const margin = marginOf(visW, visH);
  return { width: Math.max(1, visW / 3 - margin - GAP), height: Math.max(1, visH / 2 - margin - GAP) };
}

/**
 * The widget rectangle and appearance matrix of a stamp of `size` at `position`: against the margin at the
 * position's outer edges (centred horizontally for the centre column). A size larger than `stampRoom` is the
 * caller's error; it is clamped to the room so the stamp never leaves its sixth.
 */
export function placeStamp(
  page: PageInfo,
  position: StampPosition,
  size: { width: number; height: number },
): StampPlacement {
  const [x0, y0, x1, y1] = page.visibleBox;
  const W = x1 - x0;
  const H = y1 - y0;
  const { visW, visH } = visibleSize(page);
  const margin = marginOf(visW, visH);
  const room = stampRoom(page);
  const width = Math.min(size.width, room.width);
  const height = Math.min(size.height, room.height);
  const [vertical, horizontal] = position.split('-') as ['top' | 'bottom', 'left' | 'center' | 'right'];
  const u = horizontal === 'left' ? margin : horizontal === 'right' ? visW - margin - width : (visW - width) / 2;
  const v = vertical === 'bottom' ? margin : visH - margin - height;
  // (u, v) is measured from the bottom-left corner the reader sees. A viewer turns the page clockwise by /Rotate
  // [§8.3.2.3], so a visual point maps back to user space by turning it counter-clockwise inside the visible box.
  const toUser = (pu: number, pv: number): [number, number] => {
    switch (page.rotate) {
      case 90:
        return [x0 + W - pv, y0 + pu];
      case 180:
        return [x0 + W - pu, y0 + H - pv];
      case 270:
        return [x0 + pv, y0 + H - pu];
      default:
        return [x0 + pu, y0 + pv];
    }
  };
  const corners = [toUser(u, v), toUser(u + width, v + height)];
  const rect: [number, number, number, number] = [
    Math.min(corners[0]![0], corners[1]![0]),
    Math.min(corners[0]![1], corners[1]![1]),
    Math.max(corners[0]![0], corners[1]![0]),
    Math.max(corners[0]![1], corners[1]![1]),
  ];
  // Counter-clockwise rotation by /Rotate degrees, so the viewer's clockwise rotation makes it upright.
  const matrices: Record<number, StampPlacement['matrix']> = {
    0: [1, 0, 0, 1, 0, 0],
    90: [0, 1, -1, 0, 0, 0],
    180: [-1, 0, 0, -1, 0, 0],
    270: [0, -1, 1, 0, 0, 0],
  };
  return { rect, width, height, matrix: matrices[page.rotate] ?? matrices[0]! };
}
