/**
 * Operators, panel sessions, API tokens and settings in the embedded SQLite file: each record a JSON body
 * beside the columns that are looked up or compared. Tables are created on open with IF NOT EXISTS (as the
 * portal tables are), outside the numbered migrations other work extends. Counters and compare-and-set
 * steps run in IMMEDIATE transactions, so concurrent processes never lose a failure or accept a step twice.
 */

import { AppError, ErrorCode } from '../../errors.js';
import type { AdminRepositories } from '../admin-ports.js';
import {
  apiTokenFromJson,
  apiTokenToJson,
  operatorFromJson,
  operatorToJson,
  sessionFromJson,
  sessionToJson,
} from '../admin-records.js';
import { assertValidLogin, loginKey } from '../store-keys.js';
import { isUniqueViolation, type SqliteDatabase, withStoreErrors } from './sqlite-database.js';

export const ADMIN_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS operators (
  login_key TEXT PRIMARY KEY,
  body      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS admin_sessions (
  id_hash    TEXT PRIMARY KEY,
  expires_at TEXT NOT NULL,
  body       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_tokens (
  id         TEXT PRIMARY KEY,
  hash       TEXT NOT NULL UNIQUE,
  name       TEXT NOT NULL,
  revoked    INTEGER NOT NULL DEFAULT 0,
  body       TEXT NOT NULL
);
-- One live token per name (revoked ones keep their name for the record).
CREATE UNIQUE INDEX IF NOT EXISTS api_tokens_live_name ON api_tokens (name) WHERE revoked = 0;
CREATE TABLE IF NOT EXISTS settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;

const notFound = (login: string) => new AppError(ErrorCode.ACCOUNT_NOT_FOUND, `There is no operator '${login}'`);

function operators(db: SqliteDatabase): AdminRepositories['operators'] {
  const insert = db.prepare('INSERT INTO operators (login_key, body) VALUES (?, ?)');
  const select = db.prepare<[string], { body: string }>('SELECT body FROM operators WHERE login_key = ?');
  const all = db.prepare<[], { body: string }>('SELECT body FROM operators ORDER BY login_key');
  const write = db.prepare('UPDATE operators SET body = ? WHERE login_key = ?');
  const read = (login: string) => {
    const row = select.get(loginKey(login));
    return row ? operatorFromJson(row.body) : undefined;
  };
  const mutate = <T>(login: string, change: (o: NonNullable<ReturnType<typeof read>>) => T) =>
    db
      .transaction(() => {
        const current = read(login);
        if (!current) throw notFound(login);
        return change(current);
      })
      .immediate();
  return withStoreErrors('operators', {
    async create(operator) {
      assertValidLogin(operator.login);
      try {
        insert.run(loginKey(operator.login), operatorToJson(operator));
      } catch (e) {
        if (isUniqueViolation(e)) {
          throw new AppError(ErrorCode.ACCOUNT_EXISTS, `An operator '${operator.login}' exists already`);
        }
        throw e;
      }
    },
    async get(login) {
      return read(login);
    },
    async list() {
      return all.all().map((r) => operatorFromJson(r.body));
    },
    async update(operator) {
      if (write.run(operatorToJson(operator), loginKey(operator.login)).changes === 0) throw notFound(operator.login);
    },
    async recordFailure(login, at, windowStart) {
      return mutate(login, (o) => {
        const failures = [...o.failures.filter((f) => f.getTime() >= windowStart.getTime()), at];
        write.run(operatorToJson({ ...o, failures }), loginKey(login));
        return failures.length;
      });
    },
    async setLockedUntil(login, until) {
      mutate(login, (o) => {
        const failures = until ? o.failures : [];
        write.run(operatorToJson({ ...o, lockedUntil: until, failures }), loginKey(login));
      });
    },
    async acceptTotpStep(login, step) {
      return mutate(login, (o) => {
        if (!o.totp || step <= o.totp.lastStep) return false;
        write.run(operatorToJson({ ...o, totp: { ...o.totp, lastStep: step } }), loginKey(login));
        return true;
      });
    },
  });
}

function sessions(db: SqliteDatabase): AdminRepositories['sessions'] {
  const insert = db.prepare('INSERT INTO admin_sessions (id_hash, expires_at, body) VALUES (?, ?, ?)');
  const select = db.prepare<[string], { body: string }>('SELECT body FROM admin_sessions WHERE id_hash = ?');
  const write = db.prepare('UPDATE admin_sessions SET body = ? WHERE id_hash = ?');
  const remove = db.prepare('DELETE FROM admin_sessions WHERE id_hash = ?');
  const prune = db.prepare('DELETE FROM admin_sessions WHERE expires_at < ?');
  return withStoreErrors('adminSessions', {
    async create(session) {
      insert.run(session.idHash, session.expiresAt.toISOString(), sessionToJson(session));
    },
    async get(idHash) {
      const row = select.get(idHash);
      return row ? sessionFromJson(row.body) : undefined;
    },
    async touch(idHash, at) {
      const row = select.get(idHash);
      if (row) write.run(sessionToJson({ ...sessionFromJson(row.body), lastSeenAt: at }), idHash);
    },
    async delete(idHash) {
      return remove.run(idHash).changes > 0;
    },
    async deleteExpired(at) {
      return prune.run(at.toISOString()).changes;
    },
  });
}

function apiTokens(db: SqliteDatabase): AdminRepositories['apiTokens'] {
  const insert = db.prepare('INSERT INTO api_tokens (id, hash, name, revoked, body) VALUES (?, ?, ?, 0, ?)');
  const byHash = db.prepare<[string], { body: string }>('SELECT body FROM api_tokens WHERE hash = ?');
  const byId = db.prepare<[string], { body: string }>('SELECT body FROM api_tokens WHERE id = ?');
  const live = db.prepare<[string, string], { body: string }>(
    'SELECT body FROM api_tokens WHERE revoked = 0 AND (id = ? OR name = ?)',
  );
  const all = db.prepare<[], { body: string }>('SELECT body FROM api_tokens ORDER BY rowid');
  const write = db.prepare('UPDATE api_tokens SET body = ?, revoked = ? WHERE id = ?');
  return withStoreErrors('apiTokens', {
    async create(token) {
      try {
        insert.run(token.id, token.hash, token.name, apiTokenToJson(token));
      } catch (e) {
        if (isUniqueViolation(e))
          throw new AppError(ErrorCode.ACCOUNT_EXISTS, `A token '${token.name}' exists already`);
        throw e;
      }
    },
    async getByHash(hash) {
      const row = byHash.get(hash);
      return row ? apiTokenFromJson(row.body) : undefined;
    },
    async list() {
      return all.all().map((r) => apiTokenFromJson(r.body));
    },
    async revoke(idOrName, at) {
      return db
        .transaction(() => {
          const row = live.get(idOrName, idOrName);
          if (!row) return false;
          const token = apiTokenFromJson(row.body);
          write.run(apiTokenToJson({ ...token, revokedAt: at }), 1, token.id);
          return true;
        })
        .immediate();
    },
    async touch(id, at) {
      const row = byId.get(id);
      if (!row) return;
      const token = apiTokenFromJson(row.body);
      write.run(apiTokenToJson({ ...token, lastUsedAt: at }), token.revokedAt ? 1 : 0, id);
    },
  });
}

function settings(db: SqliteDatabase): AdminRepositories['settings'] {
  const select = db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?');
  const upsert = db.prepare(
    'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  return withStoreErrors('settings', {
    async get(key) {
      const row = select.get(key);
      return row ? (JSON.parse(row.value) as unknown) : undefined;
    },
    async set(key, value) {
      upsert.run(key, JSON.stringify(value));
    },
  });
}

/** The admin repositories over the embedded file (creates their tables). */
export function embeddedAdminRepositories(db: SqliteDatabase): AdminRepositories {
  db.exec(ADMIN_SCHEMA_SQL);
  return { operators: operators(db), sessions: sessions(db), apiTokens: apiTokens(db), settings: settings(db) };
}
