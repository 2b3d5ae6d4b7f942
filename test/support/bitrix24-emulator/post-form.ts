/**
 * Outbound POSTs from the "portal" to the app: `application/x-www-form-urlencoded`, nested values as PHP
 * bracket keys, exactly what Bitrix24's queue servers (events, robot calls) and the browser form behind the
 * app iframe (pages, placements) send [bitrix24.md §1.2, §1.3, §3]. Redirects are returned, not followed.
 */
import { buildPhpQuery } from './php-form.js';

/** The app's answer to one POST, plus what was sent. */
export interface AppResponse {
  /** The URL posted to (with the query string for iframe posts). */
  url: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The exact form body sent. */
  requestBody: string;
}

/** POSTs `fields` form-encoded to `url` (with `query` appended) and returns the raw answer. */
export async function postForm(
  url: string,
  fields: Record<string, unknown>,
  options: { query?: Record<string, string>; timeoutMs: number; userAgent?: string },
): Promise<AppResponse> {
  const target = new URL(url);
  for (const [key, value] of Object.entries(options.query ?? {})) target.searchParams.set(key, value);
  const requestBody = buildPhpQuery(fields);
  let response: Response;
  try {
    response = await fetch(target, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'User-Agent': options.userAgent ?? 'Bitrix24 Webhook Engine',
      },
      body: requestBody,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    throw new Error(
      `the app at ${target.origin}${target.pathname} did not answer the POST: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  return { url: target.toString(), status: response.status, headers, body: await response.text(), requestBody };
}
