/** Serial numbers of the internal CA's certificates. */
import { randomBytes } from 'node:crypto';

/**
 * A fresh serial: 16 random octets (128 bits, above the CA/Browser Forum's 64-bit minimum of entropy),
 * positive and at most 20 octets as RFC 5280 §4.1.2.2 requires. Hex, as @peculiar/x509 takes it.
 */
export function randomSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01; // positive without a sign octet, and never a leading zero octet
  return bytes.toString('hex');
}
