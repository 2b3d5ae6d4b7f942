/**
 * One checkpoint against the entry it covers and the service certificate: the check both `audit verify`
 * (with the store and the master key) and the offline verifier (an export and the certificate alone) run.
 */
import type { X509Certificate } from 'node:crypto';
import type { SignLogCheckpoint } from '../domain/sign-log-checkpoint.js';
import {
  type CheckpointTimestamp,
  checkCheckpointTimestamp,
  checkpointSignatureValid,
} from './sign-log-checkpoint-signature.js';
import type { SignLogProblem } from './sign-log-report.js';

export type CheckpointVerdict =
  | { ok: true; timestamp: CheckpointTimestamp | undefined }
  | { ok: false; reason: string };

/**
 * Checks `checkpoint` (signature by `certificate`, the hash of the entry it covers, its timestamp if any).
 * `entryHash` is the hash of entry `checkpoint.seq` as the verifier has it.
 */
export function checkSignLogCheckpoint(
  checkpoint: SignLogCheckpoint,
  entryHash: string,
  certificate: { x509: X509Certificate; sha256: string },
): CheckpointVerdict {
  const name = `checkpoint #${checkpoint.number}`;
  if (!checkpointSignatureValid(checkpoint, certificate.x509)) {
    const otherKey = checkpoint.certificateSha256 !== certificate.sha256;
    return {
      ok: false,
      reason: otherKey
        ? `${name} was signed by another key (certificate SHA-256 ${checkpoint.certificateSha256}), not by the service key: it is forged`
        : `${name} does not verify with the service certificate: it was forged or altered`,
    };
  }
  if (checkpoint.hash !== entryHash) {
    return {
      ok: false,
      reason: `${name} covers entry ${checkpoint.seq} with hash ${checkpoint.hash}, but that entry's hash is ${entryHash}`,
    };
  }
  if (checkpoint.timestamp === undefined) return { ok: true, timestamp: undefined };
  const stamped = checkCheckpointTimestamp({ ...checkpoint, timestamp: checkpoint.timestamp });
  if (!stamped.ok) return { ok: false, reason: `the timestamp of ${name} does not verify: ${stamped.reason}` };
  return { ok: true, timestamp: stamped.timestamp };
}

/**
 * The problem of a log (or an export of the whole log) that ends at entry `lastSeq`, before `checkpoint`:
 * entries were cut off — or, if the checkpoint does not verify, the checkpoint is forged.
 */
export function checkpointBeyondTheEnd(
  checkpoint: SignLogCheckpoint,
  lastSeq: number,
  certificate: X509Certificate,
  cutShort: string,
): SignLogProblem {
  const name = `checkpoint #${checkpoint.number}`;
  if (!checkpointSignatureValid(checkpoint, certificate)) {
    return {
      seq: checkpoint.seq,
      checkpoint: checkpoint.number,
      reason: `${name} names entry ${checkpoint.seq}, which is not there, and does not verify with the service certificate: it is forged`,
    };
  }
  const from = lastSeq + 1;
  const missing =
    from === checkpoint.seq ? `entry ${from} is missing` : `entries ${from} to ${checkpoint.seq} are missing`;
  const time = Number.isNaN(checkpoint.time.getTime()) ? 'an invalid time' : checkpoint.time.toISOString();
  return {
    seq: from,
    reason: `${missing}: ${name} of ${time} covers the log up to entry ${checkpoint.seq} (${cutShort})`,
  };
}
