/**
 * Subject names of the internal CA's certificates. Names are built attribute by attribute with explicit
 * string types, so Cyrillic company and person names are UTF8String [RFC 5280 §4.1.2.6], the country is a
 * PrintableString [RFC 5280 Appendix A, X520countryName] and the e-mail an IA5String [RFC 2985 §5.2.1].
 */
import type { JsonNameParams } from '@peculiar/x509';
import { AppError, ErrorCode } from '../../errors.js';

/** The parts of a subject DN we set. */
export interface CaSubject {
  /** CN: the person (user certificates) or the CA's name (root). */
  commonName: string;
  /** O: the company. */
  organization?: string;
  /** OU: a department. */
  organizationalUnit?: string;
  /** C: two-letter ISO 3166 country code. */
  country?: string;
  /** emailAddress (also put into subjectAltName as rfc822Name for user certificates). */
  email?: string;
}

/** Upper bounds from RFC 5280 Appendix A (ub-common-name, ub-organization-name, ...). */
const LIMITS = { commonName: 64, organization: 64, organizationalUnit: 64, email: 255 } as const;

/**
 * Validates and normalises (trims) a subject.
 * @throws AppError INVALID_ARGUMENT naming the field at fault.
 */
export function checkSubject(subject: CaSubject): CaSubject {
  const out: CaSubject = { commonName: subject.commonName.trim() };
  if (out.commonName === '') throw invalid('the common name (CN) is empty');
  for (const field of ['organization', 'organizationalUnit', 'email'] as const) {
    const value = subject[field]?.trim();
    if (value) out[field] = value;
  }
  for (const [field, limit] of Object.entries(LIMITS) as [keyof typeof LIMITS, number][]) {
    const value = out[field];
    if (value !== undefined && [...value].length > limit) throw invalid(`${field} is longer than ${limit} characters`);
  }
  if (subject.country !== undefined) {
    const country = subject.country.trim().toUpperCase();
    if (!/^[A-Z]{2}$/.test(country))
      throw invalid(`the country must be a two-letter code such as RU, not "${subject.country}"`);
    out.country = country;
  }
  // A plain addr-spec check: rfc822Name and emailAddress are IA5 (ASCII) only [RFC 5280 §4.2.1.6].
  if (out.email !== undefined && !/^[\x21-\x7e]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/.test(out.email)) {
    throw invalid(`"${out.email}" is not an ASCII e-mail address`);
  }
  return out;
}

/** The subject as @peculiar/x509 JSON, most significant attribute first (C, O, OU, CN, emailAddress). */
export function subjectName(subject: CaSubject): JsonNameParams {
  const name: JsonNameParams = [];
  if (subject.country) name.push({ C: [{ printableString: subject.country }] });
  if (subject.organization) name.push({ O: [{ utf8String: subject.organization }] });
  if (subject.organizationalUnit) name.push({ OU: [{ utf8String: subject.organizationalUnit }] });
  name.push({ CN: [{ utf8String: subject.commonName }] });
  if (subject.email) name.push({ E: [{ ia5String: subject.email }] });
  return name;
}

function invalid(message: string): AppError {
  return new AppError(ErrorCode.INVALID_ARGUMENT, `Certificate subject: ${message}`);
}
