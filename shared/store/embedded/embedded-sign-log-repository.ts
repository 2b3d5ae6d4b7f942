/**
 * The sign log in the embedded store. An append reads the last entry and inserts the next one (hash and
 * MAC chained to it) inside a `BEGIN IMMEDIATE` transaction: the write lock is taken before the read, so two
 * processes appending at once are serialised and cannot both build on the same last entry (which would fork
 * the chain). `appendOnce` looks its dedupe key up in that same transaction. A log of the old unkeyed
 * format is upgraded in one transaction (sign-log-upgrade.ts), by `upgrade()` or by the first append.
 */
import { CHAIN_START } from '../../audit/sign-log-chain.js';
import type { SignLogKey } from '../../audit/sign-log-key.js';
import type { SignLogEntry, SignLogInput } from '../../domain/sign-log-entry.js';
import { assertDedupeKey } from '../dedupe-key.js';
import { nextSignLogEntry } from '../next-sign-log-entry.js';
import { assertNeverKeyed, signLogBroken, upgradeBatch } from '../sign-log-upgrade.js';
import type { SignLogRange, SignLogRepository } from '../store-ports.js';
import { type SqliteDatabase, sqliteError, withStoreErrors } from './sqlite-database.js';

interface EntryRow {
  seq: number;
  time: string;
  prev_hash: string;
  hash: string;
  body: string;
  mac: string | null;
}

/** Entries are read in pages, so no statement stays open while the caller awaits between entries. */
const PAGE = 500;

function unreadable(seq: number, what: string) {
  return signLogBroken(
    seq,
    `sign log entry ${seq} is unreadable (${what}): the store file was edited outside SignService`,
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
  // The MAC lives in its own column; one smuggled into the body is not the entry's MAC.
  const { mac: _smuggled, ...fields } = body as typeof body & { mac?: unknown };
  const entry: SignLogEntry = { ...fields, seq: r.seq, time, prevHash: r.prev_hash, hash: r.hash };
  if (r.mac !== null) entry.mac = r.mac;
  return entry;
}

/** The SignLogRepository over the embedded SQLite file; `key` MACs every entry. */
export function embeddedSignLogRepository(db: SqliteDatabase, key: SignLogKey): SignLogRepository {
  const last = db.prepare<[], EntryRow>('SELECT * FROM sign_log ORDER BY seq DESC LIMIT 1');
  const insert = db.prepare(
    `INSERT INTO sign_log (seq, time, prev_hash, hash, body, dedupe_key, mac)
     VALUES (@seq, @time, @prevHash, @hash, @body, @dedupeKey, @mac)`,
  );
  const page = db.prepare<[number, string, string, number], EntryRow>(
    'SELECT * FROM sign_log WHERE seq > ? AND time >= ? AND time < ? ORDER BY seq LIMIT ?',
  );
  const byDedupeKey = db.prepare<[string], EntryRow>('SELECT * FROM sign_log WHERE dedupe_key = ?');
  const firstWithoutMac = db.prepare<[], { seq: number }>(
    'SELECT seq FROM sign_log WHERE mac IS NULL ORDER BY seq LIMIT 1',
  );
  const anyCheckpoint = db.prepare<[], { one: number }>('SELECT 1 AS one FROM sign_log_checkpoints LIMIT 1');
  const anyServiceKey = db.prepare<[], { one: number }>('SELECT 1 AS one FROM service_keys LIMIT 1');
  const setMac = db.prepare<[string, number, string]>(
    'UPDATE sign_log SET mac = ? WHERE seq = ? AND hash = ? AND mac IS NULL',
  );

  /** Adds the missing MACs after checking the whole log; runs inside the caller's write transaction. */
  const upgrade = db.transaction((): number => {
    const first = firstWithoutMac.get();
    if (!first) return 0;
    assertNeverKeyed(first.seq, {
      checkpoints: anyCheckpoint.get() !== undefined,
      serviceKey: anyServiceKey.get() !== undefined,
    });
    let at = CHAIN_START;
    let upgraded = 0;
    for (;;) {
      const rows = page.all(at.seq - 1, '', '\uffff', PAGE);
      const batch = upgradeBatch(rows.map(fromRow), at, key);
      for (const fill of batch.fills) setMac.run(fill.mac, fill.seq, fill.hash);
      upgraded += batch.fills.length;
      at = batch.at;
      if (rows.length < PAGE) return upgraded;
    }
  });

  const append = db.transaction((input: SignLogInput, dedupeKey: string | null = null): SignLogEntry => {
    let tail = last.get();
    if (tail && tail.mac === null) {
      upgrade();
      tail = last.get();
    }
    const entry = nextSignLogEntry(input, tail ? fromRow(tail) : undefined, key);
    const { seq, time, prevHash, hash, mac, ...body } = entry;
    insert.run({ seq, time: time.toISOString(), prevHash, hash, body: JSON.stringify(body), dedupeKey, mac });
    return entry;
  });

  // The look-up runs inside the same IMMEDIATE transaction as the insert: no other writer can add the key
  // in between; the UNIQUE index on dedupe_key is the backstop.
  const appendOnce = db.transaction((input: SignLogInput, dedupeKey: string): SignLogEntry => {
    const existing = byDedupeKey.get(dedupeKey);
    return existing ? fromRow(existing) : append(input, dedupeKey);
  });

  async function* list(range: SignLogRange = {}): AsyncGenerator<SignLogEntry> {
    // ISO strings of the same format compare as text in time order; the bounds cover every possible date.
    const from = range.from ? range.from.toISOString() : '';
    const to = range.to ? range.to.toISOString() : '\uffff';
    let after = Math.max(0, (range.fromSeq ?? 1) - 1);
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
    async head() {
      const row = last.get();
      return row ? fromRow(row) : undefined;
    },
    async upgrade() {
      return { upgraded: upgrade.immediate() };
    },
  });
}
