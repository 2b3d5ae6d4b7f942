/**
 * PHP-style form encoding, the way Bitrix24 (a PHP application) reads and writes
 * `application/x-www-form-urlencoded` bodies: nested values travel as bracket keys (`auth[access_token]=…`,
 * `document_id[0]=crm`) [bitrix24.md §1.2, §1.4, §3]. Decoding follows PHP `parse_str`; encoding follows
 * `http_build_query` with RFC 1738 escaping (spaces as `+`).
 */

/** A decoded form value: a string leaf, a nested object or (after `listify`) a list. */
export type FormValue = string | FormValue[] | { [key: string]: FormValue };

/** A decoded form: top-level names to values. */
export type FormObject = { [key: string]: FormValue };

/** Keys that would reach Object.prototype; PHP has no such thing, so they are dropped. */
const UNSAFE_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

/** Decodes a form body (or a query string without `?`) into nested objects, like PHP `parse_str`. */
export function parsePhpForm(body: string): FormObject {
  const root: FormObject = {};
  for (const pair of body.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeFormComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = decodeFormComponent(eq < 0 ? '' : pair.slice(eq + 1));
    const path = splitBracketKey(key);
    if (path.length > 0 && !path.some((part) => UNSAFE_KEYS.has(part))) assignPath(root, path, value);
  }
  return listify(root) as FormObject;
}

/**
 * Turns every object whose keys are exactly `0..n-1` into an array, recursively. PHP does not tell lists from
 * maps; its `json_encode` writes such arrays as JSON lists, so a form-encoded request and a JSON request for
 * the same call end up with the same shape.
 */
export function listify(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(listify);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  const isList = entries.length > 0 && entries.every(([key], index) => key === String(index));
  if (isList) return entries.map(([, item]) => listify(item));
  const out: Record<string, unknown> = {};
  for (const [key, item] of entries) out[key] = listify(item);
  return out;
}

/** Encodes nested values like PHP `http_build_query`: `a[b][0]=x`, booleans as 1/0, null and undefined left out. */
export function buildPhpQuery(values: Record<string, unknown>): string {
  const pairs: string[] = [];
  for (const [key, value] of Object.entries(values)) appendPairs(pairs, key, value);
  return pairs.join('&');
}

function appendPairs(pairs: string[], key: string, value: unknown): void {
  if (value === null || value === undefined) return;
  if (typeof value === 'object' && !Buffer.isBuffer(value)) {
    const entries = Array.isArray(value)
      ? value.map((item, index) => [String(index), item] as const)
      : Object.entries(value);
    for (const [child, item] of entries) appendPairs(pairs, `${key}[${child}]`, item);
    return;
  }
  const text = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
  pairs.push(`${encodeFormComponent(key)}=${encodeFormComponent(text)}`);
}

/** RFC 1738 escaping as PHP `urlencode`: everything but `A-Za-z0-9-_.` is escaped, spaces become `+`. */
export function encodeFormComponent(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*~]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

function decodeFormComponent(text: string): string {
  const spaced = text.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    // PHP keeps malformed escapes as they are instead of failing the whole request.
    return spaced;
  }
}

/** `a[b][]` → `['a', 'b', '']`; a key without a well-formed bracket part is taken whole, as PHP does. */
function splitBracketKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0) return key === '' ? [] : [key];
  const parts = [key.slice(0, open)];
  const rest = key.slice(open);
  const matcher = /\[([^\]]*)\]/gy;
  let consumed = 0;
  for (let match = matcher.exec(rest); match !== null; match = matcher.exec(rest)) {
    parts.push(match[1] as string);
    consumed = matcher.lastIndex;
  }
  return consumed === 0 ? [key] : parts;
}

function assignPath(root: FormObject, path: string[], value: string): void {
  let node: Record<string, FormValue> = root;
  for (let index = 0; index < path.length; index++) {
    let part = path[index] as string;
    // `x[]` appends: the next integer key, as PHP computes it.
    if (part === '') part = String(nextIndex(node));
    if (index === path.length - 1) {
      node[part] = value;
      return;
    }
    const child = node[part];
    if (child === undefined || typeof child === 'string' || Array.isArray(child)) node[part] = {};
    node = node[part] as Record<string, FormValue>;
  }
}

function nextIndex(node: Record<string, FormValue>): number {
  let max = -1;
  for (const key of Object.keys(node)) if (/^\d+$/.test(key)) max = Math.max(max, Number(key));
  return max + 1;
}
