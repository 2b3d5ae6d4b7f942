/**
 * A stand-in for the app under test: an HTTP server on 127.0.0.1 that records every request the emulator
 * sends it (method, URL, headers, raw body) and answers 200 "OK", or what a test configured for a path.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One received request. */
export interface CapturedRequest {
  method: string;
  /** Path and query. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A running capture server. */
export interface CaptureApp {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  requests: CapturedRequest[];
  /** Sets the answer for a path (without query). */
  answer(path: string, status: number, body: string, headers?: Record<string, string>): void;
  close(): Promise<void>;
}

/** Starts a capture server. */
export async function startCaptureApp(): Promise<CaptureApp> {
  const requests: CapturedRequest[] = [];
  const answers = new Map<string, { status: number; body: string; headers: Record<string, string> }>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = req.url ?? '/';
      requests.push({
        method: req.method ?? '',
        url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const answer = answers.get(url.split('?')[0] as string) ?? { status: 200, body: 'OK', headers: {} };
      res.writeHead(answer.status, { 'Content-Type': 'text/plain', ...answer.headers });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    answer(path, status, body, headers = {}) {
      answers.set(path, { status, body, headers });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
