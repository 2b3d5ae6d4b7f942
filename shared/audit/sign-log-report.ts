/**
 * What verifying the sign log reports (verify-sign-log.ts; the offline verifier reuses the parts): OK or
 * the first problem, the entries checked, the last checkpoint and what comes after it. The CLI prints it
 * (shared/cli/audit-format.ts); the admin panel shows it.
 */
import type { CheckpointTimestamp } from './sign-log-checkpoint-signature.js';

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
