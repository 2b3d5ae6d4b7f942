/**
 * Making one checkpoint: if the head moved past the last checkpoint (and the caller's policy says it is
 * due), verify the log from the last checkpoint to the head with the master key (so the service never signs
 * a head that someone rewrote behind its back), sign {seq, hash, time} with the service key (made on first
 * use), store it, and ask the timestamp authority, if one is configured, for a token over the signature. A
 * TSA failure never loses the checkpoint: it is stored without a timestamp and `stampPendingCheckpoints`
 * retries later.
 */
import type { MasterKey } from '../crypto/master-key.js';
import type { SignLogCheckpoint } from '../domain/sign-log-checkpoint.js';
import type { SignLogEntry } from '../domain/sign-log-entry.js';
import { AppError, ErrorCode } from '../errors.js';
import type { Store } from '../store/store-ports.js';
import { signCheckpoint, timestampedData } from './sign-log-checkpoint-signature.js';
import { ensureServiceKey } from './sign-log-service-key.js';
import { verifySignLog } from './verify-sign-log.js';

/** What making checkpoints needs. */
export interface CheckpointDeps {
  store: Store;
  masterKey: MasterKey;
  /** RFC 3161 token over `data` (e.g. `requestTimestamp(url, data)`); absent: no timestamps. */
  timestamp?: (data: Buffer) => Promise<Buffer>;
  /** @default () => new Date() */
  now?: () => Date;
}

/** Whether a checkpoint of `head` is due, given the last one (undefined: none yet). */
export type CheckpointDue = (head: SignLogEntry, last: SignLogCheckpoint | undefined, now: Date) => boolean;

export type CheckpointOutcome =
  | { made: SignLogCheckpoint; timestampError?: AppError }
  | { skipped: 'empty log' | 'head already checkpointed' | 'not due' | 'another process checkpointed first' };

/**
 * Makes a checkpoint of the head when it moved and `due` agrees.
 * @throws AppError SIGN_LOG_BROKEN (no checkpoint is made over a broken log), MASTER_KEY_INVALID, store errors.
 */
export async function makeSignLogCheckpoint(
  deps: CheckpointDeps,
  due: CheckpointDue = () => true,
): Promise<CheckpointOutcome> {
  const now = (deps.now ?? (() => new Date()))();
  const [head, last] = [await deps.store.signLog.head(), await deps.store.signLogCheckpoints.last()];
  if (!head) return { skipped: 'empty log' };
  if (last && last.seq >= head.seq) return { skipped: 'head already checkpointed' };
  if (!due(head, last, now)) return { skipped: 'not due' };
  const { key } = await ensureServiceKey(deps.store.serviceKeys, deps.masterKey, now);
  const report = await verifySignLog(deps.store, deps.masterKey, { sinceLastCheckpoint: true });
  if (!report.ok || !report.head) {
    const where = report.problem?.checkpoint
      ? `checkpoint #${report.problem.checkpoint}`
      : `entry ${report.problem?.seq}`;
    throw new AppError(
      ErrorCode.SIGN_LOG_BROKEN,
      `no checkpoint made: the sign log is broken at ${where}: ${report.problem?.reason ?? 'it is empty'}; ` +
        "run 'signservice audit verify'",
      { details: { signLogSeq: report.problem?.seq } },
    );
  }
  const made = await deps.store.signLogCheckpoints.add(signCheckpoint(key, report.head, now));
  if (!made) return { skipped: 'another process checkpointed first' };
  if (!deps.timestamp) return { made };
  const stamped = await stampCheckpoint(deps.timestamp, deps.store, made);
  return 'error' in stamped ? { made, timestampError: stamped.error } : { made: { ...made, timestamp: stamped.token } };
}

/** Timestamps one checkpoint: its token, or the error when the TSA failed (the checkpoint stays pending). */
async function stampCheckpoint(
  timestamp: (data: Buffer) => Promise<Buffer>,
  store: Store,
  checkpoint: SignLogCheckpoint,
): Promise<{ token: string } | { error: AppError }> {
  let token: string;
  try {
    token = (await timestamp(timestampedData(checkpoint))).toString('base64');
  } catch (error) {
    return { error: AppError.from(error, ErrorCode.TSA_UNAVAILABLE) };
  }
  await store.signLogCheckpoints.setTimestamp(checkpoint.number, token);
  return { token };
}

/**
 * Retries the timestamps of up to `limit` checkpoints stored without one. Returns how many got one, and the
 * first error (the remaining ones are left for the next try).
 */
export async function stampPendingCheckpoints(
  deps: CheckpointDeps,
  limit = 10,
): Promise<{ stamped: number; error?: AppError }> {
  if (!deps.timestamp) return { stamped: 0 };
  let stamped = 0;
  for (const checkpoint of await deps.store.signLogCheckpoints.untimestamped(limit)) {
    const result = await stampCheckpoint(deps.timestamp, deps.store, checkpoint);
    if ('error' in result) return { stamped, error: result.error };
    stamped++;
  }
  return { stamped };
}
