/**
 * The hash chain of the sign log: each entry's hash covers its canonical JSON (keys sorted, dates as
 * ISO strings) including the previous entry's hash. Verifying walks the entries in order and names the
 * first one whose position, link or content does not match.
 */
import crypto from 'node:crypto';
import type { SignLogEntry } from '../domain/sign-log-entry.js';

function canonical(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** The hash of an entry (its `hash` field excluded). */
export function signLogEntryHash(entry: Omit<SignLogEntry, 'hash'> & { hash?: string }): string {
  const { hash: _ignored, ...rest } = entry;
  return crypto
    .createHash('sha256')
    .update(JSON.stringify(canonical(rest)))
    .digest('hex');
}

export type ChainVerdict =
  | { ok: true; entries: number; lastHash: string }
  | { ok: false; entries: number; brokenSeq: number; reason: string };

/**
 * Checks entries given in storage order (ascending seq expected). `start` lets a caller verify a long log
 * in batches: pass the seq expected next and the hash of the entry before it (by default the log's start).
 */
export function verifySignLogChain(
  entries: Iterable<SignLogEntry>,
  start: { seq: number; prevHash: string } = { seq: 1, prevHash: '' },
): ChainVerdict {
  let expectedSeq = start.seq;
  let prevHash = start.prevHash;
  let count = 0;
  for (const entry of entries) {
    count++;
    if (entry.seq !== expectedSeq) {
      return {
        ok: false,
        entries: count,
        brokenSeq: expectedSeq,
        reason: `entry ${expectedSeq} is missing or out of order (found entry ${entry.seq} in its place)`,
      };
    }
    if (entry.prevHash !== prevHash) {
      return {
        ok: false,
        entries: count,
        brokenSeq: entry.seq,
        reason: `entry ${entry.seq} does not link to entry ${entry.seq - 1}`,
      };
    }
    if (signLogEntryHash(entry) !== entry.hash) {
      return {
        ok: false,
        entries: count,
        brokenSeq: entry.seq,
        reason: `entry ${entry.seq} was altered (its hash does not match its content)`,
      };
    }
    prevHash = entry.hash;
    expectedSeq++;
  }
  return { ok: true, entries: count, lastHash: prevHash };
}
