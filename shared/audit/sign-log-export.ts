/**
 * Sign log entries as export lines: JSON Lines (one entry per line, exactly as stored, so an auditor can
 * re-check the hash chain) or CSV [RFC 4180] with nested fields flattened into dotted columns
 * ("actor.login", "details.reason"). Used by `signservice audit export`; the admin panel can reuse it.
 * Entries hold no secrets by construction, and nothing is added here. A JSON Lines export also carries
 * what an offline verifier needs (verify-sign-log-export.ts): a header line, the service certificate and
 * the checkpoints, each marked by a `record` member that entries never have.
 */
import { toPem } from '../crypto/internal-ca/ca-key-types.js';
import type { SignLogCheckpoint } from '../domain/sign-log-checkpoint.js';
import type { SignLogEntry } from '../domain/sign-log-entry.js';
import { certificateSha256 } from './sign-log-service-key.js';

/** Columns that come first, in this order, when present; any others follow sorted, then the chain. */
const LEADING = [
  'seq',
  'time',
  'action',
  'outcome',
  'actor.accountId',
  'actor.login',
  'actor.memberId',
  'actor.userId',
  'actor.role',
  'otp',
  'certificate.id',
  'certificate.subject',
  'certificate.serialNumber',
  'document.dealId',
  'document.fileId',
  'document.fileName',
  'document.sha256Before',
  'document.sha256After',
  'requestId',
  'clientAddress',
];
const TRAILING = ['prevHash', 'hash', 'mac'];
const CORE = ['seq', 'time', 'action', 'outcome'];

type Cell = string | number | boolean;

/** The entry as dotted-name cells: nested objects flattened, dates as ISO strings, arrays as JSON. */
export function flattenSignLogEntry(entry: SignLogEntry): Record<string, Cell> {
  const out: Record<string, Cell> = {};
  const walk = (value: unknown, prefix: string): void => {
    if (value === undefined || value === null) return;
    if (value instanceof Date) out[prefix] = value.toISOString();
    else if (Array.isArray(value)) out[prefix] = JSON.stringify(value);
    else if (typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, prefix ? `${prefix}.${k}` : k);
    } else out[prefix] = value as Cell;
  };
  walk(entry, '');
  return out;
}

/** Collects the CSV columns of a set of entries: feed every entry, then read `columns()`. */
export function signLogCsvColumns() {
  const seen = new Set<string>();
  return {
    add(entry: SignLogEntry): void {
      for (const key of Object.keys(flattenSignLogEntry(entry))) seen.add(key);
    },
    /** The columns in export order; the core ones always, so even an empty export has a useful header. */
    columns(): string[] {
      const leading = LEADING.filter((c) => seen.has(c) || CORE.includes(c));
      const middle = [...seen].filter((c) => !LEADING.includes(c) && !TRAILING.includes(c)).sort();
      return [...leading, ...middle, ...TRAILING];
    },
  };
}

/**
 * One CSV field: quoted when it holds a comma, quote or line break [RFC 4180 §2.6-2.7]. Text that a
 * spreadsheet would run as a formula (=, +, -, @ first) gets a leading apostrophe [OWASP, CSV Injection];
 * the JSON Lines export keeps the exact values.
 */
export function csvField(value: Cell | undefined): string {
  if (value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The CSV header line (CRLF-terminated, as RFC 4180 §2.1 asks). */
export function signLogCsvHeader(columns: string[]): string {
  return `${columns.map(csvField).join(',')}\r\n`;
}

/** One entry as a CSV line with the given columns. */
export function signLogCsvRow(entry: SignLogEntry, columns: string[]): string {
  const cells = flattenSignLogEntry(entry);
  return `${columns.map((c) => csvField(cells[c])).join(',')}\r\n`;
}

/** One entry as a JSON line (dates as ISO strings). */
export function signLogJsonLine(entry: SignLogEntry): string {
  // Position first and the chains last, for a reader scanning the file; key order does not affect the hash.
  const { seq, time, prevHash, hash, mac, ...rest } = entry;
  return `${JSON.stringify({ seq, time, ...rest, prevHash, hash, mac })}\n`;
}

/** The `format` of the header line of a JSON Lines export. */
export const SIGN_LOG_EXPORT_FORMAT = 'signservice-sign-log-export/v2';

/** The first line of a JSON Lines export: its format and time range (null: the whole log). */
export function exportHeaderLine(range: { from?: Date | undefined; to?: Date | undefined }, exportedAt: Date): string {
  return `${JSON.stringify({
    record: 'header',
    format: SIGN_LOG_EXPORT_FORMAT,
    exportedAt,
    from: range.from ?? null,
    to: range.to ?? null,
  })}\n`;
}

/** The service certificate as a JSON line (PEM, and its SHA-256 for comparing with a trusted copy). */
export function certificateJsonLine(der: Buffer): string {
  return `${JSON.stringify({ record: 'service-certificate', sha256: certificateSha256(der), pem: toPem(der, 'CERTIFICATE') })}\n`;
}

/** A checkpoint as a JSON line. */
export function checkpointJsonLine(checkpoint: SignLogCheckpoint): string {
  return `${JSON.stringify({ record: 'checkpoint', ...checkpoint })}\n`;
}
