/**
 * Raw HTTP helpers for the emulator tests: plain `fetch` calls, no client code of ours, so the tests check
 * the wire protocol itself.
 */

/** A decoded JSON answer with its status. */
export interface JsonAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** POSTs a JSON body (the recommended REST request format) to `<clientEndpoint><method>`. */
export async function callJson(
  clientEndpoint: string,
  method: string,
  params: Record<string, unknown>,
): Promise<JsonAnswer> {
  const response = await fetch(`${clientEndpoint}${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(params),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** POSTs a hand-written form body (PHP bracket keys) to `<clientEndpoint><method>`. */
export async function callForm(clientEndpoint: string, method: string, formBody: string): Promise<JsonAnswer> {
  const response = await fetch(`${clientEndpoint}${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: formBody,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** GETs `url` and decodes JSON. */
export async function getJson(url: string): Promise<JsonAnswer> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The `result` of a successful answer, failing loudly with the error otherwise. */
export function resultOf(answer: JsonAnswer): unknown {
  if (answer.status !== 200 || 'error' in answer.body) {
    throw new Error(`expected a result, got HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  return answer.body.result;
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
