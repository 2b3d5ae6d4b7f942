/** Test support: a page on another origin (its own port) — the attacker's site — holding `html` in its body. */
import Koa from 'koa';
import { type ServedApp, serveApp } from './serve-app.js';

export async function crossSitePage(html: string): Promise<ServedApp> {
  const app = new Koa();
  app.use((ctx) => {
    ctx.type = 'html';
    ctx.body = `<!doctype html><html lang="en"><title>Prize</title><body>${html}</body></html>`;
  });
  return serveApp(app);
}
