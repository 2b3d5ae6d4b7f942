/**
 * The pages' static files (scripts, the stylesheet), served from activity/public: scripts must come from
 * the app itself, because the pages' CSP allows `script-src 'self'` and no inline script. Only names listed
 * in the folder at start are served (no path from the URL reaches the file system), with a content type
 * by extension and a short cache lifetime so a deployment's new script is picked up soon.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from '@koa/router';
import { AppError, ErrorCode } from '../../shared/errors.js';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** activity/public, found upwards from this module (works from the sources and from dist/). */
export function defaultPublicDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'activity', 'public');
    if (fs.existsSync(path.join(candidate, 'sign-dialog.js'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new AppError(ErrorCode.CONFIG_INVALID, 'the activity/public folder was not found');
    dir = parent;
  }
}

/** GET /static/:name for every file of `dir` with a known extension, read once at start. */
export function staticAssetRoutes(options: { dir?: string } = {}): Router {
  const dir = options.dir ?? defaultPublicDir();
  const files = new Map<string, { type: string; body: Buffer }>();
  for (const name of fs.readdirSync(dir)) {
    const type = TYPES[path.extname(name)];
    if (type) files.set(name, { type, body: fs.readFileSync(path.join(dir, name)) });
  }
  const router = new Router();
  router.get('/static/:name', function serveAsset(ctx) {
    const file = files.get(ctx.params.name as string);
    if (!file) return; // 404 from the error handler
    ctx.type = file.type;
    ctx.set('Cache-Control', 'public, max-age=300');
    // Scripts are fetched by the framed pages of the app's own origin; nobody else needs them.
    ctx.set('Cross-Origin-Resource-Policy', 'same-origin');
    ctx.body = file.body;
  });
  return router;
}
