/**
 * Reading requests and writing answers. REST accepts a JSON body, a form body with PHP bracket keys, or GET
 * parameters, with `auth` in the query or the body [bitrix24.md §1.4]; the emulator merges the query and the
 * body (the body wins, like PHP's `$_REQUEST`). `multipart/form-data` is documented too but not emulated.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listify, parsePhpForm } from './php-form.js';
import type { Params } from './rest-context.js';
import { RestError } from './rest-errors.js';

/** Reads the whole body, refusing more than `maxBytes`. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new RestError(413, 'INVALID_REQUEST', `Request body over ${maxBytes} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Decodes query and body into one parameter object. */
export function decodeParams(url: URL, body: Buffer, contentType: string | undefined): Params {
  const params: Params = parsePhpForm(url.search.slice(1));
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (body.length === 0) return params;
  if (type === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new RestError(400, 'INVALID_REQUEST', 'Invalid JSON in the request body');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new RestError(400, 'INVALID_REQUEST', 'The JSON body must be an object');
    }
    return { ...params, ...(listify(parsed) as Params) };
  }
  if (type === 'multipart/form-data') {
    throw new RestError(415, 'INVALID_REQUEST', 'multipart/form-data is not emulated; send JSON or a form body');
  }
  // No or form content type: PHP reads it as a form.
  return { ...params, ...parsePhpForm(body.toString('utf8')) };
}

/** Writes a JSON answer. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** Writes an HTML page. */
export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(html)),
  });
  res.end(html);
}

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** `decodeURIComponent` that keeps malformed input as it is instead of throwing. */
export function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
