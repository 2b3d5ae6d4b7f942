/**
 * Completing a certificate's chain from a pool of certificates (those a CMS, a timestamp token or a DSS
 * carries): who issued whom is decided by OpenSSL (`checkIssued` and the signature), never by names alone.
 */
import { X509Certificate } from 'node:crypto';

/** Longest chain followed; real hierarchies are 2–4 deep, this bounds loops in hostile input. */
const MAX_DEPTH = 8;

/** Whether `issuer` issued `child` (names, key identifiers and the signature). */
export function issuedBy(child: Buffer, issuer: Buffer): boolean {
  try {
    const c = new X509Certificate(child);
    const i = new X509Certificate(issuer);
    return c.checkIssued(i) && c.verify(i.publicKey);
  } catch {
    return false;
  }
}

/** A self-signed certificate: a root, where a chain ends. */
export function isSelfSigned(der: Buffer): boolean {
  return issuedBy(der, der);
}

/** The issuer of `certificate` in `pool`, if any. */
export function findIssuer(certificate: Buffer, pool: readonly Buffer[]): Buffer | undefined {
  return pool.find((candidate) => !candidate.equals(certificate) && issuedBy(certificate, candidate));
}

/** The chain from `leaf` up as far as `pool` reaches (leaf first; the root last when it is in the pool). */
export function chainOf(leaf: Buffer, pool: readonly Buffer[]): Buffer[] {
  const chain = [leaf];
  for (let current = leaf; chain.length < MAX_DEPTH && !isSelfSigned(current); ) {
    const issuer = findIssuer(current, pool);
    if (!issuer || chain.some((c) => c.equals(issuer))) break;
    chain.push(issuer);
    current = issuer;
  }
  return chain;
}
