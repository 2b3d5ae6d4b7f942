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
import { checkpointBeyondTheEnd, checkSignLogCheckpoint } from './check-sign-log-checkpoint.js';
import {
  CHAIN_START,
  type ChainPosition,
  checkSignLogEntry,
  positionAfter,
  signLogEntryHash,
} from './sign-log-chain.js';
import { SignLogKey } from './sign-log-key.js';
import type { SignLogProblem, SignLogReport } from './sign-log-report.js';
import { openServiceKey } from './sign-log-service-key.js';

export type { CheckpointSummary, SignLogProblem, SignLogReport } from './sign-log-report.js';

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

/** The service certificate a checkpoint must verify with, as opened with the master key. */
type ServiceCertificate = { x509: X509Certificate; sha256: string };

/**
 * The service key's certificate, checked against the sealed key (which only opens with the master key); a
 * problem when it was altered, or when checkpoints exist without it.
 */
async function serviceCertificate(
  store: Store,
  masterKey: MasterKey,
  first: SignLogCheckpoint | undefined,
): Promise<{ certificate?: ServiceCertificate; problem?: SignLogProblem }> {
  const at = first ? { seq: first.seq, checkpoint: first.number } : { seq: 1 };
  try {
    const stored = await store.serviceKeys.get();
    if (!stored) {
      return first
        ? { problem: { ...at, reason: 'the service key that signed the checkpoints is missing from the store' } }
        : {};
    }
    const opened = openServiceKey(stored, masterKey);
    return { certificate: { x509: opened.certificate, sha256: opened.certificateSha256 } };
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== ErrorCode.SIGN_LOG_BROKEN) throw error;
    return { problem: { ...at, reason: error.message } };
  }
}

/** What a walk over the entries needs besides the report it fills. */
interface Walk {
  store: Store;
  key: SignLogKey;
  checkpoints: readonly SignLogCheckpoint[];
  certificate: ServiceCertificate | undefined;
  /** Start at this checkpoint's entry instead of the log's first. */
  anchor: SignLogCheckpoint | undefined;
}

/** The first entry of an anchored walk: it must be the checkpointed one, unaltered. */
function anchorProblem(entry: SignLogEntry, anchor: SignLogCheckpoint): SignLogProblem | undefined {
  // Its MAC cannot be checked without the entry before it; its hash is what the checkpoint signed.
  if (entry.seq === anchor.seq && signLogEntryHash(entry) === entry.hash) return undefined;
  return {
    seq: anchor.seq,
    reason: `entry ${anchor.seq} (covered by checkpoint #${anchor.number}) is missing or altered`,
  };
}

/** Walks the entries, filling `report`; the first problem, if any. */
async function walkEntries(walk: Walk, report: SignLogReport): Promise<SignLogProblem | undefined> {
  const bySeq = new Map(walk.checkpoints.map((c) => [c.seq, c]));
  let at: ChainPosition = CHAIN_START;
  let first = true;
  for await (const entry of walk.store.signLog.list(walk.anchor ? { fromSeq: walk.anchor.seq } : {})) {
    let broken: SignLogProblem | undefined;
    if (first && walk.anchor) broken = anchorProblem(entry, walk.anchor);
    else {
      if (first && entry.mac === undefined && !walk.certificate && walk.checkpoints.length === 0)
        report.format = 'unkeyed';
      broken = checkSignLogEntry(entry, at, report.format === 'keyed' ? walk.key : undefined);
    }
    if (broken) return broken;
    const checkpoint = bySeq.get(entry.seq);
    if (checkpoint && walk.certificate) {
      const verdict = checkSignLogCheckpoint(checkpoint, entry.hash, walk.certificate);
      if (!verdict.ok) return { seq: entry.seq, checkpoint: checkpoint.number, reason: verdict.reason };
      const { number, seq, time } = checkpoint;
      report.lastCheckpoint = { number, seq, time, ...(verdict.timestamp ? { timestamp: verdict.timestamp } : {}) };
      report.afterLastCheckpoint = -1;
    }
    first = false;
    at = positionAfter(entry);
    report.entries++;
    report.afterLastCheckpoint++;
    report.head = { seq: entry.seq, hash: entry.hash, time: entry.time };
  }
  return undefined;
}

/** Verifies the log; never throws for a broken log (the report says where), only for store or key errors. */
export async function verifySignLog(
  store: Store,
  masterKey: MasterKey,
  options: VerifySignLogOptions = {},
): Promise<SignLogReport> {
  const checkpoints = await store.signLogCheckpoints.list();
  const report: SignLogReport = {
    ok: true,
    format: 'keyed',
    entries: 0,
    checkpoints: checkpoints.length,
    afterLastCheckpoint: 0,
  };
  const fail = (problem: SignLogProblem): SignLogReport => ({ ...report, ok: false, problem });
  const { certificate, problem } = await serviceCertificate(store, masterKey, checkpoints[0]);
  if (problem) return fail(problem);
  if (certificate) report.certificateSha256 = certificate.sha256;
  const numbering = numberingProblem(checkpoints);
  if (numbering) return fail(numbering);
  const anchor = options.sinceLastCheckpoint ? checkpoints.at(-1) : undefined;
  try {
    const broken = await walkEntries(
      { store, key: SignLogKey.fromMasterKey(masterKey), checkpoints, certificate, anchor },
      report,
    );
    if (broken) return fail(broken);
  } catch (error) {
    const unreadable = problemOf(error);
    if (!unreadable) throw error;
    return fail(unreadable);
  }
  const last = checkpoints.at(-1);
  const headSeq = report.head?.seq ?? 0;
  if (last && certificate && last.seq > headSeq) {
    return fail(checkpointBeyondTheEnd(last, headSeq, certificate.x509, 'the log was cut short'));
  }
  return report;
}
