/** Serves a Koa app's callback on 127.0.0.1 and a random port for tests that need a real URL. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';

export interface ServedApp {
  /** http://127.0.0.1:PORT (no trailing slash). */
  url: string;
  close(): Promise<void>;
}

/** Serves `app`. */
export function serveApp(app: Koa): Promise<ServedApp> {
  return serveAppFor(() => app);
}

/**
 * Serves the app `build` makes for the URL it will be reached at — for apps that must know their own
 * origin (PUBLIC_BASE_URL: the CSRF guard accepts state-changing calls from that origin only).
 */
export async function serveAppFor(build: (url: string) => Koa): Promise<ServedApp> {
  let handle: http.RequestListener = (_req, res) => res.writeHead(503).end();
  const server = http.createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  handle = build(url).callback();
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
