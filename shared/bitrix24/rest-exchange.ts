/**
 * One HTTP exchange with a portal, classified: a REST method call (POST JSON to `client_endpoint + method`,
 * the access token in `auth`, reference §1.4) or a file download (GET on the portal's own host). Each returns
 * the value or a RestFailure; the retry decisions are the client's (rest-client.ts).
 */
import { parse as parseContentDisposition } from 'content-disposition';
import { AppError } from '../errors.js';
import { checkPortalUrl, type EndpointPolicy } from './endpoint-policy.js';
import type { PortalSession } from './portal-sessions.js';
import { readLimited } from './read-limited.js';
import { classifyAnswer, classifyNetworkError, type RestFailure } from './rest-failure.js';

/** A successful REST answer. */
export interface RestAnswer<T = unknown> {
  result: T;
  total?: number;
  next?: number;
  time?: Record<string, unknown>;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; failure: RestFailure };

/** A downloaded file and the name the portal gave it (`Content-Disposition`, RFC 6266), when it gave one. */
export interface DownloadedFile {
  bytes: Buffer;
  fileName: string | undefined;
}

/** The file name of a `Content-Disposition` header (`filename*` wins over `filename`), without any path. */
export function fileNameOf(header: string | null): string | undefined {
  if (!header) return undefined;
  try {
    const name = parseContentDisposition(header).parameters.filename;
    const base = typeof name === 'string' ? (name.split(/[\\/]/).pop() ?? '') : '';
    // Control characters never belong in a file name that goes back to the portal.
    const clean = base.replace(/\p{Cc}/gu, '').trim();
    return clean && clean !== '.' && clean !== '..' ? clean.slice(0, 255) : undefined;
  } catch {
    return undefined;
  }
}

const USER_AGENT = 'SignService/1.0';

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A domain change answers 302 (reference §1.4); following it would turn the POST into a GET. */
const MOVED = {
  kind: 'rejected',
  code: 'PORTAL_MOVED',
  description: 'the portal answered with a redirect (domain change); reinstall the app',
  status: 302,
} as const;

/** Calls `method` once. Network errors become failures; the token goes only into the request body. */
export async function postMethod<T>(
  doFetch: typeof fetch,
  session: PortalSession,
  method: string,
  params: Record<string, unknown>,
  timeoutMs: number,
): Promise<Outcome<RestAnswer<T>> & { status?: number }> {
  let status: number;
  let body: unknown;
  try {
    const response = await doFetch(`${session.clientEndpoint}${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': USER_AGENT },
      body: JSON.stringify({ ...params, auth: session.accessToken }),
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = response.status;
    body = parseJson(await response.text());
  } catch (e) {
    return { ok: false, failure: classifyNetworkError(e) };
  }
  if (status >= 300 && status < 400) return { ok: false, failure: { ...MOVED, status }, status };
  const failure = classifyAnswer(status, body);
  if (failure) return { ok: false, failure, status };
  const b = body as RestAnswer<T>;
  const value: RestAnswer<T> = { result: b.result };
  if (b.total !== undefined) value.total = b.total;
  if (b.next !== undefined) value.next = b.next;
  if (b.time) value.time = b.time;
  return { ok: true, value, status };
}

/**
 * Fetches `raw` (absolute or portal-relative) once and hands a 200 answer to `read`; any other answer is a
 * failure. A URL with an `auth` parameter gets the session's access token there (crm `urlMachine` links carry
 * the token of whoever listed them).
 * @throws AppError B24_INVALID_PAYLOAD for a URL off the portal, and what `read` throws.
 */
async function fetchFile<T>(
  doFetch: typeof fetch,
  session: PortalSession,
  raw: string,
  options: { timeoutMs: number; policy: EndpointPolicy },
  read: (response: Response, fileName: string | undefined) => Promise<T>,
): Promise<Outcome<T>> {
  const url = checkPortalUrl(raw, session.clientEndpoint, options.policy);
  if (url.searchParams.has('auth')) url.searchParams.set('auth', session.accessToken);
  try {
    // The headers a browser would send: without them the portal's nginx may answer 404 (reference §6.1).
    const response = await doFetch(url, {
      headers: { 'user-agent': USER_AGENT, accept: '*/*', 'accept-language': 'en', referer: `${url.origin}/` },
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    if (response.status === 200) {
      return { ok: true, value: await read(response, fileNameOf(response.headers.get('content-disposition'))) };
    }
    const status = response.status;
    const failure = classifyAnswer(status, parseJson(await response.text()));
    return {
      ok: false,
      failure: failure ?? { kind: 'rejected', code: String(status), description: 'not a file', status },
    };
  } catch (e) {
    if (e instanceof AppError) throw e;
    return { ok: false, failure: classifyNetworkError(e) };
  }
}

/**
 * Downloads `raw` once, at most `maxBytes`.
 * @throws AppError B24_INVALID_PAYLOAD for a URL off the portal, B24_METHOD_FAILED for a file too large.
 */
export function getFile(
  doFetch: typeof fetch,
  session: PortalSession,
  raw: string,
  options: { maxBytes: number; timeoutMs: number; policy: EndpointPolicy },
): Promise<Outcome<DownloadedFile>> {
  return fetchFile(doFetch, session, raw, options, async (response, fileName) => ({
    bytes: await readLimited(response, options.maxBytes, session.memberId),
    fileName,
  }));
}

/** The start of a file and its name, without reading the rest (what a file list needs to show). */
export interface PeekedFile {
  head: Buffer;
  fileName: string | undefined;
}

/**
 * Reads the first `bytes` of `raw` (as `getFile` would fetch it) and the name the portal gives it, then
 * drops the connection: listing the documents of a deal must not download every one of them.
 * @throws AppError B24_INVALID_PAYLOAD for a URL off the portal.
 */
export function peekFile(
  doFetch: typeof fetch,
  session: PortalSession,
  raw: string,
  options: { bytes: number; timeoutMs: number; policy: EndpointPolicy },
): Promise<Outcome<PeekedFile>> {
  return fetchFile(doFetch, session, raw, options, async (response, fileName) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const reader = response.body?.getReader();
    while (reader && size < options.bytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(Buffer.from(value));
      size += value.byteLength;
    }
    await reader?.cancel().catch(() => undefined);
    return { head: Buffer.concat(chunks).subarray(0, options.bytes), fileName };
  });
}
