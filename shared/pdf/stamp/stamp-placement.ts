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

/** Preferred stamp size and margin, in points; shrunk on small pages so the stamp stays inside its cell. */
const PREFERRED_WIDTH = 200;
const PREFERRED_HEIGHT = 62;
const MARGIN = 12;

/**
 * The stamp's rectangle for `position`, at `preferred` size (points) or smaller when the page's cell (a third of
 * its width, half its height) is smaller.
 */
export function placeStamp(
  page: PageInfo,
  position: StampPosition,
  preferred: { width: number; height: number } = { width: PREFERRED_WIDTH, height: PREFERRED_HEIGHT },
): StampPlacement {
  const [x0, y0, x1, y1] = page.visibleBox;
  const W = x1 - x0;
  const H = y1 - y0;
  const quarter = page.rotate === 90 || page.rotate === 270;
  const visW = quarter ? H : W;
  const visH = quarter ? W : H;
  const margin = Math.min(MARGIN, visW / 30, visH / 30);
  // Each cell is a third of the width and a half of the height; keep the aspect ratio when shrinking.
  const scale = Math.min(1, (visW / 3 - 2 * margin) / preferred.width, (visH / 2 - 2 * margin) / preferred.height);
  const width = preferred.width * scale;
  const height = preferred.height * scale;
  const [vertical, horizontal] = position.split('-') as ['top' | 'bottom', 'left' | 'center' | 'right'];
  const u = horizontal === 'left' ? margin : horizontal === 'right' ? visW - margin - width : (visW - width) / 2;
  const v = vertical === 'bottom' ? margin : visH - margin - height;
  // Map the visual rectangle's corners back to user space; see the derivation in docs/pdf-engine.md.
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
