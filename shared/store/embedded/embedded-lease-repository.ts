/**
 * Named leases in the embedded SQLite file (table `leases`). Taking one is a single UPSERT whose update only
 * happens when the lease is free, expired or ours (`ON CONFLICT … DO UPDATE … WHERE`): SQLite runs it
 * atomically across the processes that share the file, so of concurrent callers exactly one changes a row.
 * The clock is the process's (processes sharing a file share a machine).
 */

import { assertLease } from '../lease-name.js';
import type { LeaseRepository } from '../store-ports.js';
import { type SqliteDatabase, withStoreErrors } from './sqlite-database.js';

/** Created on first use with IF NOT EXISTS (idempotent, safe when processes race). */
export const LEASE_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS leases (
  name       TEXT PRIMARY KEY,
  owner      TEXT NOT NULL,
  -- milliseconds since the epoch
  expires_at INTEGER NOT NULL
);
`;

function statements(db: SqliteDatabase) {
  return {
    acquire: db.prepare(
      `INSERT INTO leases (name, owner, expires_at) VALUES (@name, @owner, @expiresAt)
       ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
       WHERE leases.expires_at <= @now OR leases.owner = excluded.owner`,
    ),
    release: db.prepare('DELETE FROM leases WHERE name = ? AND owner = ?'),
  };
}

/** The LeaseRepository over the embedded SQLite file; `now` (ms) is the lease clock, for tests. */
export function embeddedLeaseRepository(db: SqliteDatabase, now: () => number = Date.now): LeaseRepository {
  let prepared: ReturnType<typeof statements> | undefined;
  const sql = () => {
    if (!prepared) {
      db.exec(LEASE_SCHEMA_SQL);
      prepared = statements(db);
    }
    return prepared;
  };
  return withStoreErrors('leases', {
    async acquire(name, owner, ttlMs) {
      assertLease(name, owner, ttlMs);
      const t = now();
      return sql().acquire.run({ name, owner, expiresAt: t + Math.ceil(ttlMs), now: t }).changes === 1;
    },
    async release(name, owner) {
      assertLease(name, owner);
      sql().release.run(name, owner);
    },
  });
}
