/**
 * The inverse of form-body.ts: PHP `http_build_query` encoding (`a[b][0]=x`), which Bitrix24 expects inside
 * `batch` commands (`"crm.item.get?entityTypeId=2&id=5"`, reference §1.8) and in form posts. Booleans
 * become 1/0 and null/undefined are left out, as PHP does; dates are ISO 8601.
 */

function encodeInto(out: string[], name: string, value: unknown): void {
  if (value === null || value === undefined) return;
  if (value instanceof Date) {
    out.push(`${encodeURIComponent(name)}=${encodeURIComponent(value.toISOString())}`);
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) encodeInto(out, `${name}[${i}]`, v);
  } else if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) encodeInto(out, `${name}[${k}]`, v);
  } else {
    const text = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
    out.push(`${encodeURIComponent(name)}=${encodeURIComponent(text)}`);
  }
}

/** Encodes `params` as a PHP-style query string (no leading '?'). */
export function buildQuery(params: Record<string, unknown>): string {
  const out: string[] = [];
  for (const [key, value] of Object.entries(params)) encodeInto(out, key, value);
  return out.join('&');
}
