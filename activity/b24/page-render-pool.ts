/**
 * The approval page's page images, rendered with `pdftoppm` at most `processes` at a time (a small pool:
 * each render is a process using a core for up to a second), each page once: the PNG is cached by the
 * document's SHA-256, the page number and the resolution, and concurrent requests for a page that is being
 * rendered wait for that one render. Renders beyond the pool wait in line; a line longer than `maxWaiting`
 * is refused with TOO_MANY_REQUESTS rather than grow without bound. The cache keeps the most recently used
 * images up to `cacheBytes`.
 */
import { createHash } from 'node:crypto';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { PREVIEW_DPI, renderPagePng } from './pdf-preview.js';

export interface PageRenderPoolOptions {
  /** pdftoppm processes at once (PREVIEW_PROCESSES). */
  processes: number;
  /** @default 32 MiB of PNGs */
  cacheBytes?: number;
  /** Renders waiting for a process before new ones are refused. @default 64 */
  maxWaiting?: number;
  /** @default PREVIEW_DPI */
  dpi?: number;
}

export interface PageRenderPool {
  /** PNG of page `page` (1-based) of `pdf`. @throws AppError INTERNAL (render failed), TOO_MANY_REQUESTS */
  png(pdf: Buffer, page: number): Promise<Buffer>;
}

/** Creates the pool (one per process). */
export function pageRenderPool(options: PageRenderPoolOptions): PageRenderPool {
  const dpi = options.dpi ?? PREVIEW_DPI;
  const cacheBytes = options.cacheBytes ?? 32 * 1024 * 1024;
  const maxWaiting = options.maxWaiting ?? 64;
  const cache = new Map<string, Buffer>();
  let cachedBytes = 0;
  const rendering = new Map<string, Promise<Buffer>>();
  const hashes = new WeakMap<Buffer, string>();
  const waiting: (() => void)[] = [];
  let running = 0;

  const sha256 = (pdf: Buffer) => {
    let hash = hashes.get(pdf);
    if (!hash) {
      hash = createHash('sha256').update(pdf).digest('hex');
      hashes.set(pdf, hash);
    }
    return hash;
  };

  const remember = (key: string, png: Buffer) => {
    if (png.length > cacheBytes) return;
    cache.set(key, png);
    cachedBytes += png.length;
    for (const [oldKey, old] of cache) {
      if (cachedBytes <= cacheBytes) break;
      cache.delete(oldKey);
      cachedBytes -= old.length;
    }
  };

  /** Runs `render` when a process is free. */
  const inPool = async (render: () => Promise<Buffer>): Promise<Buffer> => {
    if (running >= options.processes) {
      if (waiting.length >= maxWaiting) {
        throw new AppError(ErrorCode.TOO_MANY_REQUESTS, 'Too many page images are being prepared; try again shortly', {
          details: { retryAfterSeconds: 2 },
        });
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else running += 1;
    try {
      return await render();
    } finally {
      // Hand the process slot straight to the next in line, or free it.
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  };

  return {
    async png(pdf, page) {
      const key = `${sha256(pdf)}:${page}:${dpi}`;
      const hit = cache.get(key);
      if (hit) {
        // Most recently used goes last, so eviction takes the oldest first.
        cache.delete(key);
        cache.set(key, hit);
        return hit;
      }
      const pending = rendering.get(key);
      if (pending) return pending;
      const render = inPool(() => renderPagePng(pdf, page, dpi));
      rendering.set(key, render);
      try {
        const png = await render;
        remember(key, png);
        return png;
      } finally {
        rendering.delete(key);
      }
    },
  };
}
