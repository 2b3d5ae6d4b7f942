/**
 * `application/x-www-form-urlencoded` bodies with PHP bracket keys, as Bitrix24 posts them (reference §1.2,
 * §3: built with PHP `http_build_query`): `auth[member_id]=…`, `document_id[0]=…`, `properties[x][0]=…`,
 * `a[]=…`. Decoded the way PHP's `parse_str` does, with two deliberate differences: a container whose keys
 * are exactly 0..n-1 becomes an array (as `qs` does, so `document_id` is a tuple), and '.'/' ' in names are
 * kept (PHP turns them into '_'). Limits bound the work an untrusted body can cause, and names that could
 * reach an object prototype are refused. (activity/middleware/form-body.ts is the app's own flat form
 * reader; this one exists for the bracket semantics.)
 */
import { AppError, ErrorCode } from '../errors.js';

/** A decoded value: a string, or nested arrays/objects of them. */
export type FormValue = string | FormValue[] | { [key: string]: FormValue };
export type FormObject = { [key: string]: FormValue };

export interface FormLimits {
  /** @default 65536 bytes: Bitrix24's robot and event posts are a few kilobytes */
  maxBytes?: number;
  /** @default 1000 name=value pairs */
  maxPairs?: number;
  /** Bracket levels below the top name. @default 5 (Bitrix24 uses 2: `properties[x][0]`) */
  maxDepth?: number;
  /** @default 256 characters of a decoded name */
  maxKeyLength?: number;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

type Node = Map<string, Node | string>;

function invalid(message: string): never {
  throw new AppError(ErrorCode.INVALID_ARGUMENT, `form body: ${message}`);
}

/** Decodes one component: '+' is a space, %XX are UTF-8 bytes. */
function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return invalid('malformed percent-encoding');
  }
}

/** Splits `a[b][]` into ['a', 'b', ''] the way PHP does: brackets after an unclosed '[' are literal. */
function splitName(name: string): string[] {
  const open = name.indexOf('[');
  if (open === 0) return ['']; // no base name: PHP drops the pair
  if (open < 0) return [name];
  const parts = [name.slice(0, open)];
  let rest = name.slice(open);
  while (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) break; // PHP ignores an unterminated segment
    parts.push(rest.slice(1, close));
    rest = rest.slice(close + 1);
  }
  return parts;
}

/** The index `a[]` appends at: one past the largest integer key, like PHP. */
function nextIndex(node: Node): string {
  let max = -1;
  for (const key of node.keys()) if (/^(0|[1-9]\d{0,8})$/.test(key)) max = Math.max(max, Number(key));
  return String(max + 1);
}

function assign(root: Node, path: string[], value: string): void {
  let node = root;
  for (let i = 0; i < path.length; i++) {
    let key = path[i] as string;
    if (key === '' && i > 0) key = nextIndex(node);
    if (FORBIDDEN_KEYS.has(key)) invalid(`the name segment '${key}' is not allowed`);
    if (i === path.length - 1) {
      node.set(key, value); // later pairs win, as in PHP
      return;
    }
    let child = node.get(key);
    if (typeof child !== 'object') {
      child = new Map();
      node.set(key, child);
    }
    node = child;
  }
}

function toValue(node: Node): FormValue {
  const keys = [...node.keys()];
  const values = [...node.values()].map((v) => (typeof v === 'string' ? v : toValue(v)));
  if (keys.length > 0 && keys.every((k, i) => k === String(i))) return values;
  const out: FormObject = {};
  keys.forEach((k, i) => {
    out[k] = values[i] as FormValue;
  });
  return out;
}

/**
 * Parses a urlencoded body (Buffer or string) into nested objects.
 * @throws AppError INVALID_ARGUMENT when a limit is exceeded, a name is forbidden or the encoding is broken.
 */
export function parseFormBody(body: Buffer | string, limits: FormLimits = {}): FormObject {
  const maxBytes = limits.maxBytes ?? 65_536;
  const maxPairs = limits.maxPairs ?? 1000;
  const maxDepth = limits.maxDepth ?? 5;
  const maxKeyLength = limits.maxKeyLength ?? 256;
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  if (size > maxBytes) invalid(`larger than ${maxBytes} bytes`);
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const root: Node = new Map();
  let pairs = 0;
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    if (++pairs > maxPairs) invalid(`more than ${maxPairs} fields`);
    const eq = pair.indexOf('=');
    const name = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1));
    if (name.length > maxKeyLength) invalid(`a field name is longer than ${maxKeyLength} characters`);
    const path = splitName(name);
    if (path[0] === '') continue; // PHP drops pairs without a name
    if (path.length - 1 > maxDepth) invalid(`a field is nested deeper than ${maxDepth} levels`);
    assign(root, path, value);
  }
  // The top level is always an object, even when every name is a digit.
  return Object.fromEntries([...root.entries()].map(([k, v]) => [k, typeof v === 'string' ? v : toValue(v)]));
}
