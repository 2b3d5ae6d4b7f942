/** How inventory entries print: a fixed-width table for people, plain objects for `--json`. */
import type { InventoryEntry, KeyLocation } from '../crypto/certificate-inventory.js';

/** An entry as JSON (dates ISO, no certificate bytes). */
export function entryJson(entry: InventoryEntry): Record<string, unknown> {
  return {
    id: entry.id,
    status: entry.status,
    internalUse: entry.internalUse,
    subject: entry.subject,
    issuer: entry.issuer,
    serialNumber: entry.serialNumber,
    notBefore: entry.notBefore.toISOString(),
    notAfter: entry.notAfter.toISOString(),
    keyType: entry.keyType,
    location: entry.location,
  };
}

/** Where the key is, in a few words. */
export function locationText(location: KeyLocation): string {
  if (location.kind === 'token')
    return `token "${location.tokenLabel}" (serial ${location.tokenSerial || '?'}) CKA_ID ${location.ckaId}`;
  if (location.kind === 'internal') return `internal CA (master key ${location.masterKeyId})`;
  return 'no key';
}

/** Rows padded into columns; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - [...c].length)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** The inventory as a table: short id (a unique prefix works with --cert-id), status, key, where, expiry, subject. */
export function inventoryTable(entries: readonly InventoryEntry[]): string {
  return table(
    ['ID', 'STATUS', 'KEY', 'EXPIRES', 'WHERE', 'SUBJECT'],
    entries.map((e) => [
      e.id.slice(0, 16),
      e.status,
      e.keyType,
      e.notAfter.toISOString().slice(0, 10),
      locationText(e.location),
      `${e.subject}${e.internalUse ? '  [internal use]' : ''}`,
    ]),
  );
}
