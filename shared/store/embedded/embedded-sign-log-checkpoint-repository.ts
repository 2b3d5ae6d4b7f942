/**
 * Sign log checkpoints in the embedded store. A checkpoint's number is assigned inside a `BEGIN IMMEDIATE`
 * transaction (last + 1, only if its seq is beyond the last checkpoint's), so processes checkpointing at
 * once never store two checkpoints of one head.
 */
import type { SignLogCheckpoint } from '../../domain/sign-log-checkpoint.js';
import type { SignLogCheckpointRepository } from '../store-ports.js';
import { type SqliteDatabase, withStoreErrors } from './sqlite-database.js';

interface CheckpointRow {
  number: number;
  seq: number;
  hash: string;
  time: string;
  signature: string;
  certificate_sha256: string;
  timestamp: string | null;
}

function fromRow(r: CheckpointRow): SignLogCheckpoint {
  // An unparsable time stays an invalid Date: its signature then fails, naming the checkpoint.
  const checkpoint: SignLogCheckpoint = {
    number: r.number,
    seq: r.seq,
    hash: r.hash,
    time: new Date(r.time),
    signature: r.signature,
    certificateSha256: r.certificate_sha256,
  };
  if (r.timestamp !== null) checkpoint.timestamp = r.timestamp;
  return checkpoint;
}

/** The SignLogCheckpointRepository over the embedded SQLite file. */
export function embeddedSignLogCheckpointRepository(db: SqliteDatabase): SignLogCheckpointRepository {
  const last = db.prepare<[], CheckpointRow>('SELECT * FROM sign_log_checkpoints ORDER BY number DESC LIMIT 1');
  const all = db.prepare<[], CheckpointRow>('SELECT * FROM sign_log_checkpoints ORDER BY number');
  const pending = db.prepare<[number], CheckpointRow>(
    'SELECT * FROM sign_log_checkpoints WHERE timestamp IS NULL ORDER BY number LIMIT ?',
  );
  const insert = db.prepare(
    `INSERT INTO sign_log_checkpoints (number, seq, hash, time, signature, certificate_sha256)
     VALUES (@number, @seq, @hash, @time, @signature, @certificateSha256)`,
  );
  const stamp = db.prepare<[string, number]>(
    'UPDATE sign_log_checkpoints SET timestamp = ? WHERE number = ? AND timestamp IS NULL',
  );

  const add = db.transaction((checkpoint: Omit<SignLogCheckpoint, 'number'>): SignLogCheckpoint | undefined => {
    const previous = last.get();
    if (previous && previous.seq >= checkpoint.seq) return undefined;
    const stored: SignLogCheckpoint = { ...checkpoint, number: (previous?.number ?? 0) + 1 };
    const { timestamp: _none, ...fields } = stored;
    insert.run({ ...fields, time: stored.time.toISOString() });
    return { ...fields };
  });

  return withStoreErrors('signLogCheckpoints', {
    async add(checkpoint) {
      return add.immediate(checkpoint);
    },
    async list() {
      return all.all().map(fromRow);
    },
    async last() {
      const row = last.get();
      return row ? fromRow(row) : undefined;
    },
    async untimestamped(limit) {
      return pending.all(limit).map(fromRow);
    },
    async setTimestamp(number, token) {
      return stamp.run(token, number).changes === 1;
    },
  });
}
