/**
 * Upgrading a sign log of the old unkeyed format (each entry carries the SHA-256 of the previous one, no
 * MAC): both adapters walk the log in pages with `upgradeBatch`, which checks the public chain as before and
 * any MAC already there, and returns the MACs to add. MACs are deterministic (sign-log-key.ts), so a second
 * process upgrading at the same time, or an upgrade resumed after a crash, writes exactly the same values.
 * An upgrade is allowed only while the log has never been keyed: once checkpoints or a service key exist, an
 * entry without a MAC was stripped by someone else, and the log is broken there.
 */
import { type ChainPosition, checkSignLogEntry } from '../audit/sign-log-chain.js';
import type { SignLogKey } from '../audit/sign-log-key.js';
import type { SignLogEntry } from '../domain/sign-log-entry.js';
import { AppError, ErrorCode } from '../errors.js';

/** A MAC the upgrade adds to entry `seq`, whose hash it was computed over. */
export interface MacFill {
  seq: number;
  hash: string;
  mac: string;
}

/** The error of a sign log that does not verify at entry `seq` (details: `signLogSeq`, `reason`). */
export function signLogBroken(seq: number, reason: string): AppError {
  return new AppError(
    ErrorCode.SIGN_LOG_BROKEN,
    `the sign log is broken at entry ${seq}: ${reason}. SignService builds nothing on top of it; ` +
      "run 'signservice audit verify' and restore the store from a backup",
    { details: { signLogSeq: seq, reason } },
  );
}

/**
 * Refuses to upgrade a log that was keyed already: `seq` is its first entry without a MAC.
 * @throws AppError SIGN_LOG_BROKEN when the store has checkpoints or a service key.
 */
export function assertNeverKeyed(seq: number, keyed: { checkpoints: boolean; serviceKey: boolean }): void {
  if (!keyed.checkpoints && !keyed.serviceKey) return;
  throw signLogBroken(
    seq,
    `entry ${seq} has no MAC although this log is keyed (it has ${keyed.checkpoints ? 'checkpoints' : 'a service key'}): ` +
      'its MAC was removed outside SignService',
  );
}

/**
 * Walks `entries` (the next page, in seq order) from `at`: checks the public chain and every MAC present,
 * and returns the MACs to add and the position after the page.
 * @throws AppError SIGN_LOG_BROKEN at the first entry that does not verify.
 */
export function upgradeBatch(
  entries: readonly SignLogEntry[],
  at: ChainPosition,
  key: SignLogKey,
): { fills: MacFill[]; at: ChainPosition } {
  const fills: MacFill[] = [];
  let position = at;
  for (const entry of entries) {
    const broken = checkSignLogEntry(entry, position);
    if (broken) throw signLogBroken(broken.seq, broken.reason);
    const mac = key.mac({ seq: entry.seq, hash: entry.hash, prevMac: position.prevMac });
    if (entry.mac === undefined) fills.push({ seq: entry.seq, hash: entry.hash, mac });
    else if (entry.mac !== mac) {
      throw signLogBroken(entry.seq, `entry ${entry.seq} was altered (its MAC does not match)`);
    }
    position = { seq: entry.seq + 1, prevHash: entry.hash, prevMac: mac };
  }
  return { fills, at: position };
}
