/**
 * /api/v1/operations (tokens and health): the readiness report (store, queue, the tokens this process
 * serves: present, usable, PIN state), queue depth per route with parked jobs, and the tokens the workers
 * last listed — the same data as `/ready` and `/metrics`, made readable in the panel.
 */
import { z } from 'zod';
import { FileTokenSnapshotStore } from '../../../shared/crypto/file-token-snapshot-store.js';
import { INTERNAL_ROUTE, tokenRoute } from '../../../shared/signing/sign-route.js';
import type { AdminApiDeps } from '../../admin/admin-api-deps.js';
import { type ApiRoute, defineRoute } from '../../admin/api-route.js';

export function operationsRoutes(deps: AdminApiDeps, dataDir: string): ApiRoute[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/operations',
      authority: 'read',
      tag: 'Tokens and health',
      summary:
        'Readiness, queue depth per route, tokens (present, usable, PIN state) and when workers last listed them',
      response: z.object({
        ready: z.boolean().nullable(),
        store: z.object({ ok: z.boolean(), error: z.string().nullable() }).nullable(),
        queue: z.object({ ok: z.boolean(), kind: z.string(), error: z.string().nullable() }).nullable(),
        tokens: z.array(
          z.object({
            label: z.string(),
            present: z.boolean(),
            usable: z.boolean().nullable(),
            pinLocked: z.boolean().nullable(),
            problem: z.string().nullable(),
            certificates: z.number(),
            lastListedAt: z.string().nullable(),
          }),
        ),
        routes: z.array(
          z.object({
            route: z.string(),
            ready: z.number(),
            delayed: z.number(),
            parked: z.number(),
            oldestAgeMs: z.number().nullable(),
          }),
        ),
      }),
      async handler() {
        const report = deps.readiness ? await deps.readiness() : undefined;
        const snapshots = await new FileTokenSnapshotStore(dataDir).list().catch(() => []);
        const served = new Map((report?.checks.tokens ?? []).map((t) => [t.label, t]));
        const labels = [...new Set([...snapshots.map((s) => s.tokenLabel), ...served.keys()])].sort();
        const tokens = labels.map((label) => {
          const live = served.get(label);
          const snapshot = snapshots.find((s) => s.tokenLabel === label);
          return {
            label,
            present: live?.present ?? true,
            usable: live?.usable ?? null,
            pinLocked: live?.pinLocked ?? null,
            problem: live?.problem ?? null,
            certificates: snapshot?.certificates.length ?? 0,
            lastListedAt: snapshot?.takenAt ?? null,
          };
        });
        const routes = [];
        if (deps.queue) {
          for (const route of [INTERNAL_ROUTE, ...labels.map(tokenRoute)]) {
            const d = await deps.queue.depth(route).catch(() => undefined);
            if (d)
              routes.push({
                route,
                ready: d.ready,
                delayed: d.delayed,
                parked: d.parked,
                oldestAgeMs: d.oldestAgeMs ?? null,
              });
          }
        }
        return {
          ready: report?.ready ?? null,
          store: report ? { ok: report.checks.store.ok, error: report.checks.store.error ?? null } : null,
          queue: report
            ? { ok: report.checks.queue.ok, kind: report.checks.queue.kind, error: report.checks.queue.error ?? null }
            : null,
          tokens,
          routes,
        };
      },
    }),
  ];
}
