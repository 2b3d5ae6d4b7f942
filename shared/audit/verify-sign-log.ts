/**
 * Verifies the sign log in the store with the master key: the public hash chain, the MAC chain, the service
 * key (it opens with the master key and its certificate belongs to it) and every checkpoint (numbered without
 * gaps, signed by the service key, covering the entry it names, its timestamp). Returns a structured report
 * naming the FIRST problem in log order. `signservice audit verify` prints it; the admin panel shows it.
 * Entries are streamed, so a long log is never held in memory; checkpoints (one per many entries) are.
 */
import type { X509Certificate } from 'node:crypto';
import type { MasterKey } from '../crypto/master-key.js';
import type { SignLogCheckpoint } from '../domain/sign-log-checkpoint.js';
import type { SignLogEntry } from '../domain/sign-log-entry.js';
import { AppError, ErrorCode } from '../errors.js';
import type { Store } from '../store/store-ports.js';
import { checkSignLogCheckpoint } from './check-sign-log-checkpoint.js';
import {
  CHAIN_START,
  type ChainPosition,
  checkSignLogEntry,
  positionAfter,
  signLogEntryHash,
} from './sign-log-chain.js';
import { type CheckpointTimestamp, checkpointSignatureValid } from './sign-log-checkpoint-signature.js';
import { SignLogKey } from './sign-log-key.js';
import { openServiceKey } from './sign-log-service-key.js';

/** A checkpoint as reported. */
export interface CheckpointSummary {
  number: number;
  seq: number;
  time: Date;
  /** The verified timestamp, when it has one. */
  timestamp?: CheckpointTimestamp;
}

/** Where the log is broken: the first bad entry, or the checkpoint (`checkpoint`) at entry `seq`. */
export interface SignLogProblem {
  seq: number;
  checkpoint?: number;
  reason: string;
}

export interface SignLogReport {
  ok: boolean;
  /** 'unkeyed': a log of the old format the service has not upgraded yet (public chain only). */
  format: 'keyed' | 'unkeyed';
  /** Entries verified (all of them when ok). */
  entries: number;
  /** The last verified entry. */
  head?: { seq: number; hash: string; time: Date };
  /** Checkpoints in the store. */
  checkpoints: number;
  /** The last checkpoint verified. */
  lastCheckpoint?: CheckpointSummary;
  /** Verified entries after the last checkpoint: covered by the MAC chain only. */
  afterLastCheckpoint: number;
  /** hex SHA-256 of the service certificate, when the service has a key. */
  certificateSha256?: string;
  problem?: SignLogProblem;
}

/** Options of `verifySignLog`. */
export interface VerifySignLogOptions {
  /**
   * Verify only from the last checkpoint on (its entry and everything after it): what the checkpointer
   * checks before signing a new head. @default false: the whole log
   */
  sinceLastCheckpoint?: boolean;
}

/** The problem named by a store error about an unreadable entry (signLogBroken). */
function problemOf(error: unknown): SignLogProblem | undefined {
  const details = error instanceof AppError ? error.details : undefined;
  if (typeof details?.signLogSeq !== 'number') return undefined;
  const reason = typeof details.reason === 'string' ? details.reason : (error as Error).message;
  return { seq: details.signLogSeq, reason };
}

/** Problems with the checkpoint list itself: a number missing, or seqs that do not grow. */
function numberingProblem(checkpoints: readonly SignLogCheckpoint[]): SignLogProblem | undefined {
  for (const [i, checkpoint] of checkpoints.entries()) {
    const previous = checkpoints[i - 1];
    if (checkpoint.number !== i + 1) {
      return { seq: checkpoint.seq, checkpoint: i + 1, reason: `checkpoint #${i + 1} is missing` };
    }
    if (previous && checkpoint.seq <= previous.seq) {
      return {
        seq: checkpoint.seq,
        checkpoint: checkpoint.number,
        reason: `checkpoint #${checkpoint.number} (entry ${checkpoint.seq}) does not come after checkpoint #${previous.number} (entry ${previous.seq})`,
      };
    }
  }
  return undefined;
}

/** Verifies the log; never throws for a broken log (the report says where), only for store or key errors. */
export async function verifySignLog(
  store: Store,
  masterKey: MasterKey,
  options: VerifySignLogOptions = {},
): Promise<SignLogReport> {
  const key = SignLogKey.fromMasterKey(masterKey);
  const checkpoints = await store.signLogCheckpoints.list();
  const report: SignLogReport = {
    ok: true,
    format: 'keyed',
    entries: 0,
    checkpoints: checkpoints.length,
    afterLastCheckpoint: 0,
  };
  const fail = (problem: SignLogProblem): SignLogReport => ({ ...report, ok: false, problem });

  const first = checkpoints[0];
  let certificate: { x509: X509Certificate; sha256: string } | undefined;
  try {
    const stored = await store.serviceKeys.get();
    if (stored) {
      const opened = openServiceKey(stored, masterKey);
      certificate = { x509: opened.certificate, sha256: opened.certificateSha256 };
      report.certificateSha256 = opened.certificateSha256;
    }
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== ErrorCode.SIGN_LOG_BROKEN) throw error;
    return fail({ seq: first?.seq ?? 1, ...(first ? { checkpoint: first.number } : {}), reason: error.message });
  }
  if (first && !certificate) {
    return fail({
      seq: first.seq,
      checkpoint: first.number,
      reason: 'the service key that signed the checkpoints is missing from the store',
    });
  }
  const numbering = numberingProblem(checkpoints);
  if (numbering) return fail(numbering);

  const bySeq = new Map(checkpoints.map((c) => [c.seq, c]));
  const anchor = options.sinceLastCheckpoint ? checkpoints.at(-1) : undefined;
  let at: ChainPosition = CHAIN_START;
  let head: SignLogEntry | undefined;
  try {
    for await (const entry of store.signLog.list(anchor ? { fromSeq: anchor.seq } : {})) {
      if (anchor && !head) {
        // The anchor's MAC cannot be checked without the entry before it; its hash is what the checkpoint signed.
        if (entry.seq !== anchor.seq || signLogEntryHash(entry) !== entry.hash) {
          return fail({
            seq: anchor.seq,
            reason: `entry ${anchor.seq} (covered by checkpoint #${anchor.number}) is missing or altered`,
          });
        }
        at = { seq: entry.seq, prevHash: entry.prevHash, prevMac: '' };
      } else if (!head && entry.mac === undefined && !certificate && checkpoints.length === 0) {
        report.format = 'unkeyed';
      }
      const broken =
        anchor && !head ? undefined : checkSignLogEntry(entry, at, report.format === 'keyed' ? key : undefined);
      if (broken) return fail(broken);
      const checkpoint = bySeq.get(entry.seq);
      if (checkpoint && certificate) {
        const verdict = checkSignLogCheckpoint(checkpoint, entry.hash, certificate);
        if (!verdict.ok) return fail({ seq: entry.seq, checkpoint: checkpoint.number, reason: verdict.reason });
        report.lastCheckpoint = {
          number: checkpoint.number,
          seq: checkpoint.seq,
          time: checkpoint.time,
          ...(verdict.timestamp ? { timestamp: verdict.timestamp } : {}),
        };
        report.afterLastCheckpoint = -1;
      }
      head = entry;
      at = positionAfter(entry);
      report.entries++;
      report.afterLastCheckpoint++;
      report.head = { seq: entry.seq, hash: entry.hash, time: entry.time };
    }
  } catch (error) {
    const problem = problemOf(error);
    if (!problem) throw error;
    return fail(problem);
  }
  const last = checkpoints.at(-1);
  if (last && certificate && last.seq > (head?.seq ?? 0))
    return fail(truncation(last, head?.seq ?? 0, certificate.x509));
  return report;
}

/** The problem of a log that ends before its last checkpoint: cut short, or the checkpoint is forged. */
function truncation(last: SignLogCheckpoint, headSeq: number, certificate: X509Certificate): SignLogProblem {
  if (!checkpointSignatureValid(last, certificate)) {
    return {
      seq: last.seq,
      checkpoint: last.number,
      reason: `checkpoint #${last.number} names entry ${last.seq}, which does not exist, and does not verify with the service certificate: it is forged`,
    };
  }
  const from = headSeq + 1;
  const missing = from === last.seq ? `entry ${from} is missing` : `entries ${from} to ${last.seq} are missing`;
  return {
    seq: from,
    reason:
      `${missing}: checkpoint #${last.number} of ${last.time.toISOString()} ` +
      `covers the log up to entry ${last.seq} (the log was cut short)`,
  };
}
