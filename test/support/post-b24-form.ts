/**
 * POSTs a form as Bitrix24 (or somebody pretending to be it) does: `application/x-www-form-urlencoded` with
 * PHP bracket keys for nested values (reference §1.2, §3). For tests that forge or replay calls to the app.
 */
import { buildPhpQuery } from './bitrix24-emulator/index.js';

/** The app's answer. */
export interface FormAnswer {
  status: number;
  body: string;
}

/** POSTs `fields` to `url` + `query` (e.g. `?DOMAIN=…` of a frame POST). */
export async function postB24Form(url: string, fields: Record<string, unknown>, query = ''): Promise<FormAnswer> {
  const response = await fetch(`${url}${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: buildPhpQuery(fields),
  });
  return { status: response.status, body: await response.text() };
}
