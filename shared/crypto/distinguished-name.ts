/**
 * X.501 Name → string in the style of RFC 4514: RDNs most-specific first, joined by ",", multi-valued RDNs by
 * "+", values as Unicode text with the RFC 4514 §2.4 escapes. Cyrillic and other non-ASCII text stays as it is.
 */
import { type DerElement, readOid, readString } from './der.js';
import { OID } from './oids.js';

/** One attribute of a Name, in the order of the encoding. */
export interface NameAttribute {
  readonly type: string;
  /** The short name (`CN`, `O`, `E`, ...) or the dotted OID when we have none. */
  readonly name: string;
  /** The text value; undefined when the value is not a string type. */
  readonly value: string | undefined;
}

/** A parsed Name: its attributes and the RFC 4514-style text. */
export interface ParsedName {
  readonly attributes: readonly NameAttribute[];
  readonly text: string;
}

// RFC 4514 §3 names, plus the ones OpenSSL and most viewers print for common eIDAS/X.520 types.
const SHORT_NAMES: Readonly<Record<string, string>> = {
  [OID.commonName]: 'CN',
  [OID.surname]: 'SN',
  [OID.serialNumber]: 'serialNumber',
  [OID.countryName]: 'C',
  [OID.localityName]: 'L',
  [OID.stateOrProvinceName]: 'ST',
  [OID.streetAddress]: 'STREET',
  [OID.organizationName]: 'O',
  [OID.organizationalUnitName]: 'OU',
  [OID.title]: 'title',
  [OID.givenName]: 'GN',
  [OID.organizationIdentifier]: 'organizationIdentifier',
  [OID.userId]: 'UID',
  [OID.domainComponent]: 'DC',
  [OID.emailAddress]: 'E',
};

/** Parses a Name (SEQUENCE OF RelativeDistinguishedName) [RFC 5280 §4.1.2.4]. */
export function parseName(name: DerElement): ParsedName {
  const attributes: NameAttribute[] = [];
  const rdnTexts: string[] = [];
  for (const rdn of name.children()) {
    const parts: string[] = [];
    for (const atv of rdn.children()) {
      const [typeEl, valueEl] = atv.children();
      if (!typeEl || !valueEl) throw new Error('Malformed AttributeTypeAndValue in a Name');
      const type = readOid(typeEl);
      const value = stringOrUndefined(valueEl);
      const short = SHORT_NAMES[type] ?? type;
      attributes.push({ type, name: short, value });
      // Values of unknown syntax are written as "#" + hex of their DER [RFC 4514 §2.4].
      parts.push(`${short}=${value === undefined ? `#${valueEl.encoded.toString('hex')}` : escapeValue(value)}`);
    }
    rdnTexts.push(parts.join('+'));
  }
  return { attributes, text: rdnTexts.reverse().join(',') };
}

function stringOrUndefined(element: DerElement): string | undefined {
  try {
    return readString(element);
  } catch {
    return undefined;
  }
}

/** Escapes a value per RFC 4514 §2.4. */
export function escapeValue(value: string): string {
  let out = value.replace(/[\\,+"<>;]/g, (c) => `\\${c}`).replace(/\0/g, '\\00');
  if (out.startsWith(' ') || out.startsWith('#')) out = `\\${out}`;
  if (out.length > 1 && out.endsWith(' ') && !out.endsWith('\\ ')) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** The first value of an attribute type in a parsed Name. */
export function nameValue(name: ParsedName, type: string): string | undefined {
  return name.attributes.find((a) => a.type === type)?.value;
}
