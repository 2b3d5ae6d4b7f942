/**
 * The two chains of the sign log. Public: each entry's hash covers its canonical JSON (keys sorted, dates as
 * ISO strings, `hash` and `mac` left out) including the previous entry's hash, so anyone can check the
 * structure. Keyed: each entry's MAC (sign-log-key.ts) covers its hash and the previous entry's MAC, so only
 * a holder of the master key can produce entries that verify. Verifying walks the entries in order and
 * names the first one whose position, link, content or MAC does not match.
 */
import crypto from 'node:crypto';
import type { SignLogEntry } from '../domain/sign-log-entry.js';
import type { SignLogKey } from './sign-log-key.js';

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

/**
 * The hash of an entry (its `hash` and `mac` fields excluded: the MAC is computed over the hash, and entries
 * written before the keyed chain keep their hashes).
 */
export function signLogEntryHash(entry: Omit<SignLogEntry, 'hash'> & { hash?: string }): string {
  const { hash: _hash, mac: _mac, ...rest } = entry;
  return crypto
    .createHash('sha256')
    .update(JSON.stringify(canonical(rest)))
    .digest('hex');
}

/** Where a walk stands: the seq expected next and the hash and MAC of the entry before it. */
export interface ChainPosition {
  seq: number;
  prevHash: string;
  /** '' before the first entry, and in walks without the key. */
  prevMac: string;
}

/** The position before the first entry of a log. */
export const CHAIN_START: ChainPosition = Object.freeze({ seq: 1, prevHash: '', prevMac: '' });

/** The first entry that does not fit, and why. */
export interface ChainBreak {
  seq: number;
  reason: string;
}

/**
 * Checks `entry` as the one expected at `at`. Without `key` only the public chain is checked (what a
 * verifier without the master key can do); with it, the MAC too.
 */
export function checkSignLogEntry(entry: SignLogEntry, at: ChainPosition, key?: SignLogKey): ChainBreak | undefined {
  if (entry.seq !== at.seq) {
    return {
      seq: at.seq,
      reason: `entry ${at.seq} is missing or out of order (found entry ${entry.seq} in its place)`,
    };
  }
  if (entry.prevHash !== at.prevHash) {
    return { seq: entry.seq, reason: `entry ${entry.seq} does not link to entry ${entry.seq - 1}` };
  }
  if (signLogEntryHash(entry) !== entry.hash) {
    return { seq: entry.seq, reason: `entry ${entry.seq} was altered (its hash does not match its content)` };
  }
  if (!key) return undefined;
  if (entry.mac === undefined) {
    return { seq: entry.seq, reason: `entry ${entry.seq} has no MAC (it was written outside SignService)` };
  }
  if (!key.verify({ seq: entry.seq, hash: entry.hash, prevMac: at.prevMac }, entry.mac)) {
    // At the first entry, a wrong master key looks just like a forged entry: say so.
    const orKey = entry.seq === 1 ? ', or the configured master key is not the one the log was written with' : '';
    return {
      seq: entry.seq,
      reason: `entry ${entry.seq} was altered (its MAC does not match: it was written or rewritten without the master key${orKey})`,
    };
  }
  return undefined;
}

/** The position after `entry`. */
export function positionAfter(entry: SignLogEntry): ChainPosition {
  return { seq: entry.seq + 1, prevHash: entry.hash, prevMac: entry.mac ?? '' };
}

export type ChainVerdict =
  | { ok: true; entries: number; lastHash: string; lastMac: string }
  | { ok: false; entries: number; brokenSeq: number; reason: string };

/** Options of `verifySignLogChain`. */
export interface VerifyChainOptions {
  /** Verify a long log in batches: the position after the previous batch. @default CHAIN_START */
  start?: ChainPosition;
  /** Check the MACs too (with the master key's sign log key). */
  key?: SignLogKey;
}

/** Checks entries given in storage order (ascending seq expected). */
export function verifySignLogChain(entries: Iterable<SignLogEntry>, options: VerifyChainOptions = {}): ChainVerdict {
  let at = options.start ?? CHAIN_START;
  let count = 0;
  for (const entry of entries) {
    count++;
    const broken = checkSignLogEntry(entry, at, options.key);
    if (broken) return { ok: false, entries: count, brokenSeq: broken.seq, reason: broken.reason };
    at = positionAfter(entry);
  }
  return { ok: true, entries: count, lastHash: at.prevHash, lastMac: at.prevMac };
}
