/**
 * Accounts in the embedded store. The compare-and-set operations are single SQL statements (or one
 * IMMEDIATE transaction), so they stay atomic across threads and processes sharing the file.
 */
import type { Account } from '../../domain/account.js';
import type { EncryptedSecret } from '../../domain/encrypted-secret.js';
import { AppError, ErrorCode } from '../../errors.js';
import { assertPortalBinding, assertValidLogin, emailKey, loginKey } from '../store-keys.js';
import type { AccountRepository } from '../store-ports.js';
import { isUniqueViolation, type SqliteDatabase, sqliteError, withStoreErrors } from './sqlite-database.js';

interface AccountRow {
  id: string;
  login: string;
  description: string;
  email: string | null;
  member_id: string | null;
  bitrix_member_id: string | null;
  bitrix_user_id: number | null;
  status: Account['status'];
  otp_disabled: number;
  otp_secret: string | null;
  otp_enrolled_at: string | null;
  otp_last_step: number | null;
  otp_failures: string;
  locked_until: string | null;
  language: string | null;
  time_zone: string | null;
  created_at: string;
  updated_at: string;
}

const COLUMNS = [
  'id',
  'login',
  'login_key',
  'description',
  'email',
  'email_key',
  'member_id',
  'bitrix_member_id',
  'bitrix_user_id',
  'status',
  'otp_disabled',
  'otp_secret',
  'otp_enrolled_at',
  'otp_last_step',
  'otp_failures',
  'locked_until',
  'language',
  'time_zone',
  'created_at',
  'updated_at',
] as const;

const iso = (d: Date | undefined): string | null => (d ? d.toISOString() : null);

function toRow(a: Account): Record<(typeof COLUMNS)[number], string | number | null> {
  return {
    id: a.id,
    login: a.login,
    login_key: loginKey(a.login),
    description: a.description,
    email: a.email ?? null,
    email_key: a.email ? emailKey(a.email) : null,
    member_id: a.memberId ?? null,
    bitrix_member_id: a.bitrix?.memberId ?? null,
    bitrix_user_id: a.bitrix?.userId ?? null,
    status: a.status,
    otp_disabled: a.otpDisabled ? 1 : 0,
    otp_secret: a.otp ? JSON.stringify(a.otp.secret) : null,
    otp_enrolled_at: iso(a.otp?.enrolledAt),
    otp_last_step: a.otp ? a.otp.lastStep : null,
    otp_failures: JSON.stringify(a.lockout.failures.map((d) => d.toISOString())),
    locked_until: iso(a.lockout.lockedUntil),
    language: a.language ?? null,
    time_zone: a.timeZone ?? null,
    created_at: a.createdAt.toISOString(),
    updated_at: a.updatedAt.toISOString(),
  };
}

function fromRow(r: AccountRow): Account {
  return {
    id: r.id,
    login: r.login,
    description: r.description,
    email: r.email ?? undefined,
    memberId: r.member_id ?? undefined,
    bitrix:
      r.bitrix_member_id !== null && r.bitrix_user_id !== null
        ? { memberId: r.bitrix_member_id, userId: r.bitrix_user_id }
        : undefined,
    status: r.status,
    otpDisabled: r.otp_disabled === 1,
    otp:
      r.otp_secret !== null
        ? {
            secret: JSON.parse(r.otp_secret) as EncryptedSecret,
            enrolledAt: new Date(r.otp_enrolled_at ?? 0),
            lastStep: r.otp_last_step ?? 0,
          }
        : undefined,
    lockout: {
      failures: (JSON.parse(r.otp_failures) as string[]).map((s) => new Date(s)),
      lockedUntil: r.locked_until ? new Date(r.locked_until) : undefined,
    },
    ...(r.language === 'en' || r.language === 'ru' ? { language: r.language } : {}),
    ...(r.time_zone ? { timeZone: r.time_zone } : {}),
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

/** The ACCOUNT_EXISTS error for a unique-key clash, naming what clashed. */
function existsError(error: unknown, account: Account): AppError {
  if (isUniqueViolation(error, 'accounts.login_key')) {
    return new AppError(ErrorCode.ACCOUNT_EXISTS, `An account with the login '${account.login}' exists already`);
  }
  if (isUniqueViolation(error, 'accounts.bitrix_member_id')) {
    return new AppError(
      ErrorCode.ACCOUNT_EXISTS,
      `Bitrix24 user ${account.bitrix?.userId} of portal ${account.bitrix?.memberId} is linked to another account already`,
    );
  }
  if (isUniqueViolation(error, 'accounts.id')) {
    return new AppError(ErrorCode.ACCOUNT_EXISTS, `An account with the id ${account.id} exists already`);
  }
  return sqliteError(error, `cannot save account '${account.login}'`);
}

const notFound = (id: string) => new AppError(ErrorCode.ACCOUNT_NOT_FOUND, `No account with id ${id}`);

/** The AccountRepository over the embedded SQLite file. */
export function embeddedAccountRepository(db: SqliteDatabase): AccountRepository {
  const insert = db.prepare(
    `INSERT INTO accounts (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})`,
  );
  const mutable = COLUMNS.filter((c) => !['id', 'created_at', 'otp_last_step'].includes(c));
  // The last accepted step never goes down: a stale read-modify-write must not reopen a used code.
  const update = db.prepare(
    `UPDATE accounts SET ${mutable.map((c) => `${c} = @${c}`).join(', ')},
       otp_last_step = CASE WHEN @otp_secret IS NULL THEN NULL
                            ELSE max(@otp_last_step, coalesce(otp_last_step, @otp_last_step)) END
     WHERE id = @id`,
  );
  const byId = db.prepare<[string], AccountRow>('SELECT * FROM accounts WHERE id = ?');
  const byLogin = db.prepare<[string], AccountRow>('SELECT * FROM accounts WHERE login_key = ?');
  const byBitrix = db.prepare<[string, number], AccountRow>(
    'SELECT * FROM accounts WHERE bitrix_member_id = ? AND bitrix_user_id = ?',
  );
  const byEmail = db.prepare<[string], AccountRow>('SELECT * FROM accounts WHERE email_key = ? ORDER BY login_key');
  const all = db.prepare<[], AccountRow>('SELECT * FROM accounts ORDER BY login_key');
  const ofPortal = db.prepare<[string], AccountRow>('SELECT * FROM accounts WHERE member_id = ? ORDER BY login_key');
  const link = db.prepare(
    `UPDATE accounts SET bitrix_member_id = @memberId, bitrix_user_id = @userId, updated_at = @at
     WHERE id = @id AND member_id = @memberId AND bitrix_member_id IS NULL AND bitrix_user_id IS NULL`,
  );
  const tallyOf = db.prepare<[string], { otp_fail_tally: number; otp_fail_logged_at: string | null }>(
    'SELECT otp_fail_tally, otp_fail_logged_at FROM accounts WHERE id = ?',
  );
  const setTally = db.prepare(
    'UPDATE accounts SET otp_fail_tally = @tally, otp_fail_logged_at = coalesce(@loggedAt, otp_fail_logged_at) WHERE id = @id',
  );
  const acceptStep = db.prepare('UPDATE accounts SET otp_last_step = ? WHERE id = ? AND otp_last_step < ?');
  const failuresOf = db.prepare<[string], { otp_failures: string }>('SELECT otp_failures FROM accounts WHERE id = ?');
  const setFailures = db.prepare('UPDATE accounts SET otp_failures = ? WHERE id = ?');
  const setLock = db.prepare(
    `UPDATE accounts SET locked_until = @until,
       otp_failures = CASE WHEN @until IS NULL THEN '[]' ELSE otp_failures END WHERE id = @id`,
  );
  const exists = (id: string) => byId.get(id) !== undefined;

  const recordFailure = db.transaction((id: string, at: Date, windowStart: Date): number => {
    const row = failuresOf.get(id);
    if (!row) throw notFound(id);
    const kept = (JSON.parse(row.otp_failures) as string[])
      .map((s) => new Date(s))
      .filter((d) => d.getTime() >= windowStart.getTime());
    kept.push(at);
    setFailures.run(JSON.stringify(kept.map((d) => d.toISOString())), id);
    return kept.length;
  });

  const takeTally = db.transaction((id: string, at: Date, add: number, minGapMs: number): number => {
    const row = tallyOf.get(id);
    if (!row) throw notFound(id);
    const tally = row.otp_fail_tally + add;
    const last = row.otp_fail_logged_at ? new Date(row.otp_fail_logged_at).getTime() : undefined;
    const due = tally > 0 && (minGapMs === 0 || last === undefined || at.getTime() - last >= minGapMs);
    setTally.run({ id, tally: due ? 0 : tally, loggedAt: due ? at.toISOString() : null });
    return due ? tally : 0;
  });

  return withStoreErrors('accounts', {
    async create(account) {
      assertValidLogin(account.login);
      assertPortalBinding(account);
      try {
        insert.run(toRow(account));
      } catch (e) {
        throw existsError(e, account);
      }
    },
    async get(id) {
      const row = byId.get(id);
      return row && fromRow(row);
    },
    async getByLogin(login) {
      const row = byLogin.get(loginKey(login));
      return row && fromRow(row);
    },
    async findByBitrixUser(memberId, userId) {
      const row = byBitrix.get(memberId, userId);
      return row && fromRow(row);
    },
    async findByEmail(email) {
      return byEmail.all(emailKey(email)).map(fromRow);
    },
    async list(filter = {}) {
      return (filter.memberId === undefined ? all.all() : ofPortal.all(filter.memberId)).map(fromRow);
    },
    async update(account) {
      assertValidLogin(account.login);
      assertPortalBinding(account);
      let changes: number;
      try {
        changes = update.run(toRow(account)).changes;
      } catch (e) {
        throw existsError(e, account);
      }
      if (changes === 0) throw notFound(account.id);
    },
    async acceptOtpStep(accountId, step) {
      // Compare-and-set in one statement [RFC 6238 §5.2]: of concurrent callers with the same step, one wins.
      const changes = acceptStep.run(step, accountId, step).changes;
      if (changes === 1) return true;
      if (!exists(accountId)) throw notFound(accountId);
      return false;
    },
    async recordOtpFailure(accountId, at, windowStart) {
      // IMMEDIATE takes the write lock before reading, so concurrent failures are all counted.
      return recordFailure.immediate(accountId, at, windowStart);
    },
    async setLockedUntil(accountId, until) {
      if (setLock.run({ id: accountId, until: iso(until) }).changes === 0) throw notFound(accountId);
    },
    async linkBitrixUser(accountId, target, at) {
      try {
        const params = { id: accountId, memberId: target.memberId, userId: target.userId, at: at.toISOString() };
        return link.run(params).changes === 1;
      } catch (e) {
        // The user was linked to another account meanwhile: this one stays unlinked.
        if (isUniqueViolation(e, 'accounts.bitrix_member_id')) return false;
        throw e;
      }
    },
    async takeOtpFailureTally(accountId, at, { add, minGapMs }) {
      // IMMEDIATE: concurrent failures each add to the tally, and exactly one of them takes it.
      return takeTally.immediate(accountId, at, add, minGapMs);
    },
  });
}
