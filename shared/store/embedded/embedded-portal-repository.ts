/**
 * Bitrix24 portals in the embedded SQLite file. Every write is one statement (an UPSERT, a conditional
 * UPDATE), which SQLite runs atomically across processes: the version compare-and-set needs no transaction
 * of its own. The refresh lease is the named lease `portal-refresh/<member id>` (embedded-lease-repository.ts).
 */
import type { Portal } from '../../domain/portal.js';
import { AppError, ErrorCode } from '../../errors.js';
import { writeAndConfirm } from '../../sqlite/write-and-confirm.js';
import { portalRefreshLease } from '../lease-name.js';
import type { LeaseRepository, PortalRepository } from '../store-ports.js';
import { type SqliteDatabase, withStoreErrors } from './sqlite-database.js';

/**
 * The table, created on first use with IF NOT EXISTS (idempotent, safe when processes race). It is kept
 * here rather than in sqlite-schema.ts MIGRATIONS while that list is being extended by other work; folding
 * it into a migration step later changes nothing for existing files. (Files written before the named
 * leases keep an empty `portal_locks` table that nothing reads.)
 */
export const PORTAL_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS portals (
  member_id        TEXT PRIMARY KEY,
  domain           TEXT NOT NULL,
  client_endpoint  TEXT NOT NULL,
  server_endpoint  TEXT NOT NULL,
  scope            TEXT NOT NULL,
  user_id          INTEGER,
  language         TEXT,
  -- the sealed token pair (EncryptedSecret as JSON); NULL once uninstalled
  tokens           TEXT,
  token_expires_at TEXT,
  app_token_hash   TEXT,
  status           TEXT NOT NULL,
  installed_at     TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  version          INTEGER NOT NULL
);
`;

interface PortalRow {
  member_id: string;
  domain: string;
  client_endpoint: string;
  server_endpoint: string;
  scope: string;
  user_id: number | null;
  language: string | null;
  tokens: string | null;
  token_expires_at: string | null;
  app_token_hash: string | null;
  status: string;
  installed_at: string;
  updated_at: string;
  version: number;
}

function fromRow(row: PortalRow): Portal {
  let tokens: Portal['tokens'];
  if (row.tokens !== null && row.token_expires_at !== null) {
    try {
      tokens = {
        sealed: JSON.parse(row.tokens) as NonNullable<Portal['tokens']>['sealed'],
        expiresAt: new Date(row.token_expires_at),
      };
    } catch {
      throw new AppError(ErrorCode.INTERNAL, `portal ${row.member_id} is unreadable: its tokens are not valid JSON`);
    }
  }
  return {
    memberId: row.member_id,
    domain: row.domain,
    clientEndpoint: row.client_endpoint,
    serverEndpoint: row.server_endpoint,
    scope: row.scope,
    userId: row.user_id ?? undefined,
    language: row.language ?? undefined,
    tokens,
    applicationTokenHash: row.app_token_hash ?? undefined,
    status: row.status === 'installed' ? 'installed' : 'uninstalled',
    installedAt: new Date(row.installed_at),
    updatedAt: new Date(row.updated_at),
    version: row.version,
  };
}

/** Files made before the portal's language was stored get the column (idempotent; NULL = unknown). */
function addLanguageColumn(db: SqliteDatabase): void {
  const columns = db.prepare<[], { name: string }>('PRAGMA table_info(portals)').all();
  if (columns.some((c) => c.name === 'language')) return;
  try {
    db.exec('ALTER TABLE portals ADD COLUMN language TEXT');
  } catch (error) {
    // Another process added it between the check and the ALTER.
    if (!/duplicate column/i.test((error as Error).message)) throw error;
  }
}

/** Prepares the statements (once the tables exist). */
function statements(db: SqliteDatabase) {
  return {
    upsert: db.prepare<Record<string, unknown>, PortalRow>(
      `INSERT INTO portals (member_id, domain, client_endpoint, server_endpoint, scope, user_id, language, tokens,
         token_expires_at, app_token_hash, status, installed_at, updated_at, version)
       VALUES (@memberId, @domain, @clientEndpoint, @serverEndpoint, @scope, @userId, @language, @tokens, @expiresAt,
         @appTokenHash, 'installed', @at, @at, 1)
       ON CONFLICT (member_id) DO UPDATE SET domain = excluded.domain, client_endpoint = excluded.client_endpoint,
         server_endpoint = excluded.server_endpoint, scope = excluded.scope, user_id = excluded.user_id,
         language = COALESCE(excluded.language, portals.language),
         tokens = excluded.tokens, token_expires_at = excluded.token_expires_at,
         app_token_hash = excluded.app_token_hash, status = 'installed',
         installed_at = CASE WHEN portals.status = 'installed' THEN portals.installed_at ELSE excluded.installed_at END,
         updated_at = excluded.updated_at, version = portals.version + 1
       RETURNING *`,
    ),
    select: db.prepare<[string], PortalRow>('SELECT * FROM portals WHERE member_id = ?'),
    all: db.prepare<[], PortalRow>('SELECT * FROM portals ORDER BY domain, member_id'),
    updateTokens: db.prepare(
      `UPDATE portals SET tokens = @tokens, token_expires_at = @expiresAt,
         client_endpoint = COALESCE(@clientEndpoint, client_endpoint),
         server_endpoint = COALESCE(@serverEndpoint, server_endpoint), scope = COALESCE(@scope, scope),
         updated_at = @at, version = version + 1
       WHERE member_id = @memberId AND version = @expected AND status = 'installed'`,
    ),
    uninstall: db.prepare(
      `UPDATE portals SET status = 'uninstalled', tokens = NULL, token_expires_at = NULL, app_token_hash = NULL,
         updated_at = @at, version = version + 1 WHERE member_id = @memberId`,
    ),
    purge: db.prepare('DELETE FROM portals WHERE member_id = ?'),
  };
}

/** The PortalRepository over the embedded SQLite file; its refresh lease is one of `leases`. */
export function embeddedPortalRepository(db: SqliteDatabase, leases: LeaseRepository): PortalRepository {
  let prepared: ReturnType<typeof statements> | undefined;
  const sql = () => {
    if (!prepared) {
      db.exec(PORTAL_SCHEMA_SQL);
      addLanguageColumn(db);
      prepared = statements(db);
    }
    return prepared;
  };
  return withStoreErrors('portals', {
    async upsert(install) {
      const statement = sql().upsert;
      // RETURNING through writeAndConfirm: the row is returned only once the commit succeeded.
      const row = writeAndConfirm(db, () =>
        statement.get({
          memberId: install.memberId,
          domain: install.domain,
          clientEndpoint: install.clientEndpoint,
          serverEndpoint: install.serverEndpoint,
          scope: install.scope,
          userId: install.userId ?? null,
          language: install.language ?? null,
          tokens: JSON.stringify(install.tokens.sealed),
          expiresAt: install.tokens.expiresAt.toISOString(),
          appTokenHash: install.applicationTokenHash,
          at: install.at.toISOString(),
        }),
      );
      if (!row) throw new AppError(ErrorCode.INTERNAL, `portal ${install.memberId} was not stored`);
      return fromRow(row);
    },
    async get(memberId) {
      const row = sql().select.get(memberId);
      return row ? fromRow(row) : undefined;
    },
    async list() {
      return sql().all.all().map(fromRow);
    },
    async updateTokens(memberId, update, expectedVersion) {
      const result = sql().updateTokens.run({
        memberId,
        expected: expectedVersion,
        tokens: JSON.stringify(update.tokens.sealed),
        expiresAt: update.tokens.expiresAt.toISOString(),
        clientEndpoint: update.clientEndpoint ?? null,
        serverEndpoint: update.serverEndpoint ?? null,
        scope: update.scope ?? null,
        at: update.at.toISOString(),
      });
      return result.changes === 1;
    },
    async markUninstalled(memberId, at, purge = false) {
      const s = sql();
      if (purge) {
        return s.purge.run(memberId).changes === 1;
      }
      return s.uninstall.run({ memberId, at: at.toISOString() }).changes === 1;
    },
    acquireRefreshLock: (memberId, owner, ttlMs) => leases.acquire(portalRefreshLease(memberId), owner, ttlMs),
    releaseRefreshLock: (memberId, owner) => leases.release(portalRefreshLease(memberId), owner),
  });
}
