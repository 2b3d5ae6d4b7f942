/**
 * /api/v1/sign-log: newest first with filters (account, period, outcome, deal, action) and paging; the
 * export as CSV or JSON Lines (the same writers as `signservice audit export`); the chain status. A portal
 * administrator sees the entries of their portal: those whose actor or account belongs to it, and of the
 * chain status only what says nothing of other portals (sign-log-status.ts).
 */
import { z } from 'zod';
import {
  signLogCsvColumns,
  signLogCsvHeader,
  signLogCsvRow,
  signLogJsonLine,
} from '../../../shared/audit/sign-log-export.js';
import { verifySignLog } from '../../../shared/audit/verify-sign-log.js';
import type { SignLogEntry } from '../../../shared/domain/sign-log-entry.js';
import type { AdminApiDeps } from '../../admin/admin-api-deps.js';
import { type ApiRoute, type Caller, defineRoute } from '../../admin/api-route.js';
import { accountsFor } from '../../admin/portal-scope.js';
import { chainStatus, portalChainStatus, ZChainStatus } from './sign-log-status.js';

const ZFilters = z.object({
  account: z.string().max(100).optional().describe('Account id or login'),
  from: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
  to: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
  outcome: z.enum(['ok', 'error']).optional(),
  deal: z.string().max(30).optional(),
  action: z.string().max(40).optional(),
});

const ZEntry = z.object({
  seq: z.number(),
  time: z.string(),
  action: z.string(),
  outcome: z.string(),
  actor: z.object({
    login: z.string().optional(),
    role: z.string().optional(),
    accountId: z.string().optional(),
    memberId: z.string().optional(),
    userId: z.number().optional(),
  }),
  account: z.string().nullable().describe('The account concerned (login)'),
  certificate: z.object({ id: z.string(), subject: z.string(), serialNumber: z.string() }).nullable(),
  document: z
    .object({ dealId: z.string().optional(), fileName: z.string().optional(), sha256After: z.string().optional() })
    .nullable(),
  otp: z.string().nullable(),
  requestId: z.string().nullable(),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  hash: z.string(),
});

export function signLogRoutes(deps: AdminApiDeps): ApiRoute[] {
  /** The caller's entries matching the filters, in seq order. */
  const select = async (caller: Caller | undefined, f: z.output<typeof ZFilters>): Promise<SignLogEntry[]> => {
    const accounts = await accountsFor(deps.store, caller);
    const ids = new Set(accounts.map((a) => a.id));
    const wanted = f.account
      ? accounts.find((a) => a.id === f.account || a.login.toLowerCase() === f.account?.toLowerCase())
      : undefined;
    const range = {
      ...(f.from ? { from: new Date(f.from) } : {}),
      ...(f.to ? { to: new Date(f.to.length === 10 ? `${f.to}T23:59:59.999Z` : f.to) } : {}),
    };
    const out: SignLogEntry[] = [];
    for await (const e of deps.store.signLog.list(range)) {
      const accountId =
        e.actor.accountId ?? (typeof e.details?.accountId === 'string' ? e.details.accountId : undefined);
      const memberId = e.actor.memberId ?? (typeof e.details?.memberId === 'string' ? e.details.memberId : undefined);
      if (caller?.portal && !(memberId === caller.portal || (accountId !== undefined && ids.has(accountId)))) continue;
      if (f.account && (!wanted || accountId !== wanted.id)) continue;
      if (f.outcome && e.outcome !== f.outcome) continue;
      if (f.action && e.action !== f.action) continue;
      if (f.deal && e.document?.dealId !== f.deal) continue;
      out.push(e);
    }
    return out;
  };
  const loginOf = async (caller: Caller | undefined) => {
    const logins = new Map((await accountsFor(deps.store, caller)).map((a) => [a.id, a.login]));
    return (e: SignLogEntry) => {
      const id = e.actor.accountId ?? (typeof e.details?.accountId === 'string' ? e.details.accountId : undefined);
      return (id && logins.get(id)) ?? (typeof e.details?.account === 'string' ? e.details.account : null);
    };
  };

  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/sign-log',
      authority: 'read',
      tag: 'Sign log',
      summary: 'Sign log entries, newest first, filtered and paged',
      query: ZFilters.extend({
        page: z.coerce.number().int().min(1).max(100_000).default(1),
        pageSize: z.coerce.number().int().min(1).max(200).default(50),
      }),
      response: z.object({ total: z.number(), page: z.number(), pageSize: z.number(), entries: z.array(ZEntry) }),
      async handler({ query, caller }) {
        const all = (await select(caller, query)).reverse();
        const start = (query.page - 1) * query.pageSize;
        const account = await loginOf(caller);
        const entries = all.slice(start, start + query.pageSize).map((e) => ({
          seq: e.seq,
          time: e.time.toISOString(),
          action: e.action,
          outcome: e.outcome,
          actor: e.actor,
          account: account(e),
          certificate: e.certificate ?? null,
          document: e.document ?? null,
          otp: e.otp ?? null,
          requestId: e.requestId ?? null,
          details: e.details ?? {},
          hash: e.hash,
        }));
        return { total: all.length, page: query.page, pageSize: query.pageSize, entries };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/sign-log/export',
      authority: 'read',
      tag: 'Sign log',
      summary: 'Export the (filtered) sign log as CSV or JSON Lines, in chain order',
      query: ZFilters.extend({ format: z.enum(['csv', 'jsonl']) }),
      response: { download: 'text/csv' },
      async handler({ query, caller }) {
        const entries = await select(caller, query);
        if (query.format === 'jsonl') {
          return {
            raw: entries.map(signLogJsonLine).join(''),
            contentType: 'application/x-ndjson',
            filename: 'sign-log.jsonl',
          };
        }
        const columns = signLogCsvColumns();
        for (const e of entries) columns.add(e);
        const names = columns.columns();
        const csv = signLogCsvHeader(names) + entries.map((e) => signLogCsvRow(e, names)).join('');
        return { raw: csv, contentType: 'text/csv; charset=utf-8', filename: 'sign-log.csv' };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/sign-log/status',
      authority: 'read',
      tag: 'Sign log',
      summary:
        'The sign log verified with the master key (hash and MAC chains, signed checkpoints): intact, how many entries, the last checkpoint, or where it breaks; a caller confined to a portal gets only whether it is intact, the last checkpoint’s time and its own portal’s entry count',
      response: ZChainStatus,
      async handler({ caller }) {
        const report = await verifySignLog(deps.store, deps.masterKey);
        if (!caller?.portal) return chainStatus(report);
        return portalChainStatus(report, (await select(caller, {})).length);
      },
    }),
  ];
}
