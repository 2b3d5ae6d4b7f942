/**
 * The embedded queue's SQLite file: WAL (readers never block the writer; several processes may share the
 * file) and `synchronous=FULL`, so a publish that returned survives a power cut [SQLite docs, "PRAGMA
 * synchronous"]. A job is leased, not removed, while a handler runs: if the worker dies the lease expires
 * and the job is delivered again — at least once, like an unacked AMQP message.
 */
import Database from 'better-sqlite3';
import { AppError, ErrorCode } from '../../errors.js';
import { createPrivateFile } from '../../fs/private-data-dir.js';
import { writeAndConfirm } from '../../sqlite/write-and-confirm.js';

/** How long a writer waits for another process's write transaction (ms). */
const BUSY_TIMEOUT_MS = 15_000;

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS queue_jobs (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id    TEXT    NOT NULL,
  route         TEXT    NOT NULL,
  body          TEXT    NOT NULL,
  attempt       INTEGER NOT NULL DEFAULT 1,
  deliveries    INTEGER NOT NULL DEFAULT 0, -- leases of the current attempt; bounded like x-delivery-limit
  available_at  INTEGER NOT NULL,            -- epoch ms: now, or later while waiting for a retry
  leased_until  INTEGER,                     -- epoch ms; a lease past this time is free to take again
  lease_owner   TEXT,
  created_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS queue_jobs_by_route ON queue_jobs (route, available_at, id);
CREATE TABLE IF NOT EXISTS queue_parked (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id  TEXT    NOT NULL,
  route       TEXT    NOT NULL,
  body        TEXT    NOT NULL,
  reason      TEXT    NOT NULL,
  attempts    INTEGER NOT NULL,
  parked_at   INTEGER NOT NULL,
  created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS queue_parked_by_route ON queue_parked (route, id);
`;

/** A leased job row. `owner` identifies this lease: settling with a stale owner changes nothing. */
export interface LeasedJob {
  id: number;
  messageId: string;
  route: string;
  body: string;
  attempt: number;
  deliveries: number;
  owner: string;
}

export interface ParkedRow {
  messageId: string;
  route: string;
  body: string;
  reason: string;
  attempts: number;
  parkedAt: number;
}

/** Opens (creating directory, file and tables when missing) the queue file. */
export function openQueueDatabase(file: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    // Owner-only (0700 / 0600) before SQLite opens it: its -wal and -shm files copy the file's mode.
    createPrivateFile(file);
    db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    const created = db;
    // IMMEDIATE: two processes opening a new file at once must not both create the schema.
    db.transaction(() => created.exec(SCHEMA_SQL)).immediate();
    return db;
  } catch (err) {
    db?.close();
    throw new AppError(ErrorCode.FILE_IO, `Cannot open the queue file ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** The statements of the embedded queue; every method is one short transaction. */
export class EmbeddedQueueDb {
  private readonly insertJob;
  private readonly extendLease;
  private readonly deleteJob;
  private readonly retryJob;
  private readonly copyToParked;
  private readonly countParked;
  private readonly selectParked;
  private readonly depthStmt;
  private readonly liveIdsStmt;
  private readonly countsStmt;

  constructor(readonly db: Database.Database) {
    this.insertJob = db.prepare(
      'INSERT INTO queue_jobs (message_id, route, body, attempt, available_at, created_at) VALUES (?, ?, ?, 1, ?, ?)',
    );
    this.extendLease = db.prepare('UPDATE queue_jobs SET leased_until = ? WHERE id = ? AND lease_owner = ?');
    this.deleteJob = db.prepare('DELETE FROM queue_jobs WHERE id = ? AND lease_owner = ?');
    this.retryJob = db.prepare(
      `UPDATE queue_jobs SET attempt = ?, deliveries = 0, available_at = ?, leased_until = NULL, lease_owner = NULL
       WHERE id = ? AND lease_owner = ?`,
    );
    this.copyToParked = db.prepare(
      `INSERT INTO queue_parked (message_id, route, body, reason, attempts, parked_at, created_at)
       SELECT message_id, route, body, ?, ?, ?, created_at FROM queue_jobs WHERE id = ? AND lease_owner = ?`,
    );
    this.countParked = db.prepare('SELECT COUNT(*) AS n FROM queue_parked WHERE route = ?').pluck();
    this.selectParked = db.prepare(
      `SELECT message_id AS messageId, route, body, reason, attempts, parked_at AS parkedAt
       FROM queue_parked WHERE route = ? ORDER BY id LIMIT ?`,
    );
    // "Ready" excludes jobs under a live lease, as RabbitMQ's message count excludes unacked messages.
    this.depthStmt = db.prepare(
      `SELECT
         COALESCE(SUM(CASE WHEN free AND available_at <= @now THEN 1 ELSE 0 END), 0) AS ready,
         COALESCE(SUM(CASE WHEN free AND available_at > @now THEN 1 ELSE 0 END), 0) AS delayed,
         MIN(CASE WHEN free AND available_at <= @now THEN available_at END) AS oldest
       FROM (SELECT available_at, (leased_until IS NULL OR leased_until <= @now) AS free
             FROM queue_jobs WHERE route = @route)`,
    );
    this.liveIdsStmt = db.prepare('SELECT message_id FROM queue_jobs').pluck();
    this.countsStmt = db.prepare(
      'SELECT (SELECT COUNT(*) FROM queue_jobs) AS live, (SELECT COUNT(*) FROM queue_parked) AS parked',
    );
  }

  /** The message ids of every job not parked (waiting, delayed or leased). */
  liveIds(): Set<string> {
    return new Set(this.liveIdsStmt.all() as string[]);
  }

  /** How many jobs the file holds, live and parked (start-up checks, doctor). */
  counts(): { live: number; parked: number } {
    return this.countsStmt.get() as { live: number; parked: number };
  }

  /** Commits one job (the publish is durable when this returns). */
  insert(messageId: string, route: string, body: string, now: number): void {
    this.insertJob.run(messageId, route, body, now, now);
  }

  /**
   * Prepares the lease statement for a set of routes: it takes the oldest available job atomically
   * (UPDATE … WHERE id = (SELECT …) RETURNING …, under SQLite's single-writer lock), so two consumers,
   * in this process or another, never hold the same job at once. The lease is returned only once it is
   * committed (writeAndConfirm): on a full disk the lease throws instead of handing out a job whose lease —
   * and delivery count — was never stored.
   */
  leaser(routes: readonly string[]): (owner: string, now: number, leaseMs: number) => LeasedJob | undefined {
    const placeholders = routes.map(() => '?').join(', ');
    const stmt = this.db.prepare(
      `UPDATE queue_jobs SET leased_until = ?, lease_owner = ?, deliveries = deliveries + 1
       WHERE id = (SELECT id FROM queue_jobs
                   WHERE route IN (${placeholders}) AND available_at <= ?
                     AND (leased_until IS NULL OR leased_until <= ?)
                   ORDER BY available_at, id LIMIT 1)
       RETURNING id, message_id AS messageId, route, body, attempt, deliveries, lease_owner AS owner`,
    );
    return (owner, now, leaseMs) =>
      writeAndConfirm(this.db, () => stmt.get(now + leaseMs, owner, ...routes, now, now) as LeasedJob | undefined);
  }

  /** Keeps a lease alive while its handler runs; false when the lease was lost. */
  extend(job: LeasedJob, until: number): boolean {
    return this.extendLease.run(until, job.id, job.owner).changes === 1;
  }

  /** Done: the job is gone. False when the lease had been lost (another consumer may handle it again). */
  ack(job: LeasedJob): boolean {
    return this.deleteJob.run(job.id, job.owner).changes === 1;
  }

  /** Back to waiting until `availableAt`, as attempt `attempt`. */
  retry(job: LeasedJob, attempt: number, availableAt: number): boolean {
    return this.retryJob.run(attempt, availableAt, job.id, job.owner).changes === 1;
  }

  /** Moves the job to the parked table with its reason, in one transaction. */
  park(job: LeasedJob, reason: string, attempts: number, now: number): boolean {
    return this.db.transaction(() => {
      if (this.copyToParked.run(reason, attempts, now, job.id, job.owner).changes !== 1) return false;
      return this.deleteJob.run(job.id, job.owner).changes === 1;
    })();
  }

  depth(route: string, now: number): { ready: number; delayed: number; parked: number; oldest: number | null } {
    const row = this.depthStmt.get({ route, now }) as { ready: number; delayed: number; oldest: number | null };
    return { ...row, parked: this.countParked.get(route) as number };
  }

  parked(route: string, limit: number): ParkedRow[] {
    return this.selectParked.all(route, limit) as ParkedRow[];
  }
}
