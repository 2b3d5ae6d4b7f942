/**
 * The sign log in the embedded store. An append reads the last entry and inserts the next one inside a
 * `BEGIN IMMEDIATE` transaction: the write lock is taken before the read, so two processes appending at
 * once are serialised and cannot both build on the same last entry (which would fork the chain).
 * `appendOnce` looks its dedupe key up in that same transaction.
 */
import type { SignLogEntry, SignLogInput } from '../../domain/sign-log-entry.js';
import { AppError, ErrorCode } from '../../errors.js';
import { assertDedupeKey } from '../dedupe-key.js';
import { nextSignLogEntry } from '../next-sign-log-entry.js';
import type { SignLogRepository } from '../store-ports.js';
import { type SqliteDatabase, sqliteError, withStoreErrors } from './sqlite-database.js';

interface EntryRow {
  seq: number;
  time: string;
  prev_hash: string;
  hash: string;
  body: string;
}

/** Entries are read in pages, so no statement stays open while the caller awaits between entries. */
const PAGE = 500;

function unreadable(seq: number, what: string): AppError {
  return new AppError(
    ErrorCode.INTERNAL,
    `sign log entry ${seq} is unreadable (${what}): the store file was edited outside SignService`,
    { details: { signLogSeq: seq } },
  );
}

function fromRow(r: EntryRow): SignLogEntry {
  let body: Omit<SignLogEntry, 'seq' | 'time' | 'prevHash' | 'hash'>;
  try {
    body = JSON.parse(r.body);
  } catch {
    throw unreadable(r.seq, 'its body is not valid JSON');
  }
  const time = new Date(r.time);
  if (Number.isNaN(time.getTime())) throw unreadable(r.seq, `its time '${r.time}' is not a date`);
  return { ...body, seq: r.seq, time, prevHash: r.prev_hash, hash: r.hash };
}

/** The SignLogRepository over the embedded SQLite file. */
export function embeddedSignLogRepository(db: SqliteDatabase): SignLogRepository {
  const last = db.prepare<[], { seq: number; hash: string }>(
    'SELECT seq, hash FROM sign_log ORDER BY seq DESC LIMIT 1',
  );
  const insert = db.prepare(
    `INSERT INTO sign_log (seq, time, prev_hash, hash, body, dedupe_key)
     VALUES (@seq, @time, @prevHash, @hash, @body, @dedupeKey)`,
  );
  const page = db.prepare<[number, string, string, number], EntryRow>(
    'SELECT * FROM sign_log WHERE seq > ? AND time >= ? AND time < ? ORDER BY seq LIMIT ?',
  );

  const byDedupeKey = db.prepare<[string], EntryRow>('SELECT * FROM sign_log WHERE dedupe_key = ?');

  const append = db.transaction((input: SignLogInput, dedupeKey: string | null = null): SignLogEntry => {
    const entry = nextSignLogEntry(input, last.get());
    const { seq, time, prevHash, hash, ...body } = entry;
    insert.run({ seq, time: time.toISOString(), prevHash, hash, body: JSON.stringify(body), dedupeKey });
    return entry;
  });

  // The look-up runs inside the same IMMEDIATE transaction as the insert: no other writer can add the key
  // in between; the UNIQUE index on dedupe_key is the backstop.
  const appendOnce = db.transaction((input: SignLogInput, dedupeKey: string): SignLogEntry => {
    const existing = byDedupeKey.get(dedupeKey);
    return existing ? fromRow(existing) : append(input, dedupeKey);
  });

  async function* list(range: { from?: Date; to?: Date } = {}): AsyncGenerator<SignLogEntry> {
    // ISO strings of the same format compare as text in time order; the bounds cover every possible date.
    const from = range.from ? range.from.toISOString() : '';
    const to = range.to ? range.to.toISOString() : '\uffff';
    let after = 0;
    for (;;) {
      let rows: EntryRow[];
      try {
        rows = page.all(after, from, to, PAGE);
      } catch (e) {
        throw sqliteError(e, 'cannot read the sign log');
      }
      for (const row of rows) yield fromRow(row);
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1]!.seq;
    }
  }

  return withStoreErrors('signLog', {
    async append(input) {
      return append.immediate(input);
    },
    async appendOnce(input, dedupeKey) {
      assertDedupeKey(dedupeKey);
      return appendOnce.immediate(input, dedupeKey);
    },
    list,
  });
}
