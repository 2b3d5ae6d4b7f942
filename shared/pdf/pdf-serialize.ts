/** Serialises the object model back to PDF syntax [ISO 32000-1 §7.3]. */
import { PdfDict, PdfName, type PdfObject, PdfRaw, PdfRef, PdfStream, PdfString } from './pdf-objects.js';

const NAME_SAFE = /^[!-~]$/;

function nameToken(n: string): string {
  let out = '/';
  for (const ch of n) {
    const code = ch.charCodeAt(0);
    out +=
      NAME_SAFE.test(ch) && !'()<>[]{}/%#'.includes(ch)
        ? ch
        : `#${(code & 0xff).toString(16).padStart(2, '0').toUpperCase()}`;
  }
  return out;
}

function numberToken(n: number): string {
  if (Number.isInteger(n)) return String(n);
  const s = n.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
  return s === '-0' ? '0' : s;
}

function stringToken(s: PdfString): string {
  if (s.hex) return `<${s.bytes.toString('hex')}>`;
  let out = '(';
  for (const c of s.bytes) {
    if (c === 0x28 || c === 0x29 || c === 0x5c) out += `\\${String.fromCharCode(c)}`;
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c < 0x20 || c > 0x7e) out += `\\${c.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(c);
  }
  return `${out})`;
}

/** Appends the serialisation of `obj` to `parts` (strings are latin1, Buffers verbatim). */
export function serializeInto(obj: PdfObject, parts: (string | Buffer)[]): void {
  if (obj === null) parts.push('null');
  else if (typeof obj === 'boolean') parts.push(obj ? 'true' : 'false');
  else if (typeof obj === 'number') parts.push(numberToken(obj));
  else if (obj instanceof PdfName) parts.push(nameToken(obj.name));
  else if (obj instanceof PdfString) parts.push(stringToken(obj));
  else if (obj instanceof PdfRef) parts.push(`${obj.num} ${obj.gen} R`);
  else if (obj instanceof PdfRaw) parts.push(obj.bytes);
  else if (Array.isArray(obj)) {
    parts.push('[');
    obj.forEach((item, i) => {
      if (i > 0) parts.push(' ');
      serializeInto(item, parts);
    });
    parts.push(']');
  } else if (obj instanceof PdfDict) {
    parts.push('<<');
    for (const [k, v] of obj.map) {
      parts.push(nameToken(k), ' ');
      serializeInto(v, parts);
      parts.push('\n');
    }
    parts.push('>>');
  } else if (obj instanceof PdfStream) {
    const dict = obj.dict.clone().set('Length', obj.data.length);
    serializeInto(dict, parts);
    parts.push('\nstream\n', obj.data, '\nendstream');
  }
}

export function serialize(obj: PdfObject): Buffer {
  const parts: (string | Buffer)[] = [];
  serializeInto(obj, parts);
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p)));
}
