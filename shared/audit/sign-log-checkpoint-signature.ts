/**
 * What a checkpoint signs and how it is checked, by the service and by verifiers without the master key.
 * The signed message is plain text, so a third party can check a checkpoint with openssl alone:
 *
 *   signservice sign-log checkpoint v1\n seq=<seq>\n hash=<hex>\n time=<ISO 8601 UTC>\n   (no spaces)
 *
 * signed with ECDSA P-256 / SHA-256 (DER signature, base64 in the checkpoint). The optional RFC 3161 token
 * is over SHA-256 of the signature bytes, so it dates the signed checkpoint, not just its content.
 */
import { createHash, sign, verify, type X509Certificate } from 'node:crypto';
import { describeCertificate } from '../crypto/certificate-info.js';
import { OID } from '../crypto/oids.js';
import { checkTimeStampToken } from '../crypto/timestamp-token.js';
import type { NewSignLogCheckpoint, SignLogCheckpoint } from '../domain/sign-log-checkpoint.js';
import type { ServiceKey } from './sign-log-service-key.js';

/** The bytes the service key signs for a checkpoint of entry `seq` with hash `hash` at `time`. */
export function checkpointMessage(checkpoint: { seq: number; hash: string; time: Date }): Buffer {
  // An invalid Date (a hand-edited time) gives a message no signature matches, rather than an exception.
  const time = Number.isNaN(checkpoint.time.getTime()) ? 'invalid' : checkpoint.time.toISOString();
  return Buffer.from(
    `signservice sign-log checkpoint v1\nseq=${checkpoint.seq}\nhash=${checkpoint.hash}\ntime=${time}\n`,
    'utf8',
  );
}

/** A checkpoint of `head` signed with the service key at `time`. */
export function signCheckpoint(key: ServiceKey, head: { seq: number; hash: string }, time: Date): NewSignLogCheckpoint {
  const unsigned = { seq: head.seq, hash: head.hash, time };
  return {
    ...unsigned,
    signature: sign('sha256', checkpointMessage(unsigned), key.privateKey).toString('base64'),
    certificateSha256: key.certificateSha256,
  };
}

/** Whether the checkpoint's signature verifies with `certificate`'s public key. */
export function checkpointSignatureValid(checkpoint: SignLogCheckpoint, certificate: X509Certificate): boolean {
  try {
    return verify(
      'sha256',
      checkpointMessage(checkpoint),
      certificate.publicKey,
      Buffer.from(checkpoint.signature, 'base64'),
    );
  } catch {
    return false;
  }
}

/** The data a checkpoint's timestamp token covers (its imprint is SHA-256 of these bytes). */
export function timestampedData(checkpoint: Pick<SignLogCheckpoint, 'signature'>): Buffer {
  return Buffer.from(checkpoint.signature, 'base64');
}

/** A checked timestamp: when, and by whom (the TSA certificate's subject). */
export interface CheckpointTimestamp {
  time: Date;
  authority: string;
}

/**
 * Checks a checkpoint's RFC 3161 token: parses, the TSA's signature verifies, its certificate is a
 * timestamping one, and the imprint is SHA-256 of the checkpoint's signature. The TSA's certificate path is
 * not checked against trust roots here; the report names the authority.
 * @returns the timestamp, or the reason it does not verify
 */
export function checkCheckpointTimestamp(
  checkpoint: SignLogCheckpoint & { timestamp: string },
): { ok: true; timestamp: CheckpointTimestamp } | { ok: false; reason: string } {
  try {
    const check = checkTimeStampToken(Buffer.from(checkpoint.timestamp, 'base64'));
    if (!check.signatureValid || check.problem) {
      return { ok: false, reason: check.problem ?? 'the TSA signature does not verify' };
    }
    const digest = createHash('sha256').update(timestampedData(checkpoint)).digest();
    if (check.info.hashAlgorithm !== OID.sha256 || !check.info.hashedMessage.equals(digest)) {
      return { ok: false, reason: 'the timestamp is over something else than this checkpoint' };
    }
    const authority = check.tsaCertificate ? describeCertificate(check.tsaCertificate).subject : 'an unnamed TSA';
    return { ok: true, timestamp: { time: check.info.genTime, authority } };
  } catch (error) {
    return { ok: false, reason: `the timestamp token cannot be read (${(error as Error).message})` };
  }
}
