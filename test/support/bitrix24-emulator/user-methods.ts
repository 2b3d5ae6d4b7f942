/**
 * Users: `user.current`, `user.get`, `user.admin`, `profile` [bitrix24.md §5.3, §6.5; doc user-current,
 * user-get, user-scope, profile, user-admin].
 *
 * - Fields depend on scope: `user_brief` has no EMAIL; `user_basic` and `user` add it.
 * - No documented `user.get` field tells admins apart; admin status exists only for the CURRENT user through
 *   `user.admin` / `profile.ADMIN`, so the emulator offers no admin listing either.
 * - Lists come in pages of 50 with `total` and `next`.
 */
import { isoDate } from './emulator-core.js';
import type { PortalUser } from './portal-state.js';
import { asRecord, asText, type CallContext, type MethodTable, param } from './rest-context.js';

const PAGE_SIZE = 50;
const USER_SCOPES = ['user', 'user_basic', 'user_brief'] as const;

/** A user as `user.current` / `user.get` return it, trimmed to what the app's scopes allow. */
function renderUser(ctx: CallContext, user: PortalUser): Record<string, unknown> {
  const row: Record<string, unknown> = {
    ID: String(user.id),
    XML_ID: `emulator-${user.id}`,
    ACTIVE: user.active,
    NAME: user.name,
    LAST_NAME: user.lastName,
    SECOND_NAME: '',
    TITLE: '',
    IS_ONLINE: 'N',
    TIME_ZONE: user.timeZone,
    TIME_ZONE_OFFSET: '0',
    PERSONAL_GENDER: '',
    PERSONAL_PHOTO: null,
    WORK_POSITION: '',
    UF_DEPARTMENT: [1],
    USER_TYPE: 'employee',
  };
  const scopes = ctx.grant.scope;
  if (scopes.includes('user') || scopes.includes('user_basic')) row.EMAIL = user.email;
  if (scopes.includes('user')) row.LAST_LOGIN = isoDate(ctx.core.now());
  return row;
}

/** One `FILTER` condition with the documented prefix operators `=`, `!`, `%` (substring). */
function matchesCondition(row: Record<string, unknown>, rawKey: string, wanted: unknown): boolean {
  const operator = /^(=|!|%)/.exec(rawKey)?.[1] ?? '=';
  const key = rawKey.replace(/^(=|!|%)/, '').toUpperCase();
  const actual = row[key];
  const wantedList = Array.isArray(wanted) ? wanted.map(asText) : [asText(wanted)];
  const actualText = typeof actual === 'boolean' ? (actual ? 'true' : 'false') : asText(actual);
  const normalised = wantedList.map((value) => (value === 'Y' ? 'true' : value === 'N' ? 'false' : value));
  if (operator === '%') return normalised.some((value) => actualText.toLowerCase().includes(value.toLowerCase()));
  const equal = normalised.some((value) => value.toLowerCase() === actualText.toLowerCase());
  return operator === '!' ? !equal : equal;
}

function filterUsers(ctx: CallContext): Record<string, unknown>[] {
  const filter = asRecord(param(ctx.params, 'FILTER')) ?? asRecord(param(ctx.params, 'filter')) ?? {};
  const rows = [...ctx.portal.users.values()].map((user) => ({ user, row: renderUser(ctx, user) }));
  // EMAIL filtering needs EMAIL visible, but users are compared on the stored value like the portal does.
  return rows
    .filter(({ user, row }) =>
      Object.entries(filter).every(([key, wanted]) =>
        matchesCondition({ ...row, EMAIL: user.email, ACTIVE: user.active }, key, wanted),
      ),
    )
    .map(({ row }) => row);
}

/** The user methods. */
export const userMethods: MethodTable = {
  'user.current': {
    scopes: USER_SCOPES,
    run: (ctx) => ({ result: renderUser(ctx, ctx.user) }),
  },
  'user.get': {
    scopes: USER_SCOPES,
    run(ctx) {
      const rows = filterUsers(ctx);
      const start = Math.max(0, Number(asText(param(ctx.params, 'start'))) || 0);
      const page = rows.slice(start, start + PAGE_SIZE);
      const next = start + PAGE_SIZE < rows.length ? start + PAGE_SIZE : undefined;
      return next === undefined ? { result: page, total: rows.length } : { result: page, total: rows.length, next };
    },
  },
  'user.admin': {
    scopes: 'basic',
    run: (ctx) => ({ result: ctx.user.admin }),
  },
  profile: {
    scopes: 'basic',
    run: (ctx) => ({
      result: {
        ID: String(ctx.user.id),
        ADMIN: ctx.user.admin,
        NAME: ctx.user.name,
        LAST_NAME: ctx.user.lastName,
        PERSONAL_GENDER: '',
        TIME_ZONE: ctx.user.timeZone,
      },
    }),
  },
};
