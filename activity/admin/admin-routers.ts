/**
 * The SignService Control Panel as one unit for createApp: the admin API (/api/v1, every route declared
 * once in activity/routes/api), its OpenAPI document, the panel's pages (/admin, and the Bitrix24 way in
 * through /b24/app), and the middleware that proves who is calling. The panel's pages are a client of the
 * API: they hold no data of their own and change nothing except through /api/v1.
 */

import type { Router } from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import { createAccountService } from '../../shared/accounts/account-service.js';
import { createGrantService } from '../../shared/accounts/grant-service.js';
import { createAdminSessionService } from '../../shared/admin/admin-session-service.js';
import { createApiTokenService } from '../../shared/admin/api-token-service.js';
import { createOperatorService } from '../../shared/admin/operator-service.js';
import { loadServiceInventory } from '../../shared/admin/service-inventory.js';
import { FileTokenSnapshotStore } from '../../shared/crypto/file-token-snapshot-store.js';
import { FileCaStore } from '../../shared/crypto/internal-ca/file-ca-store.js';
import type { EnrollmentService } from '../../shared/otp/enrollment-service.js';
import { knownRoutes } from '../../shared/sign-requests/parked-sign-jobs.js';
import type { ConfiguredToken } from '../../shared/token-list-config.js';
import type { CsrfTokens } from '../middleware/csrf-guard.js';
import { accountRoutes } from '../routes/api/account-routes.js';
import { certificateRoutes } from '../routes/api/certificate-routes.js';
import { meRoutes } from '../routes/api/me-routes.js';
import { operationsRoutes } from '../routes/api/operations-routes.js';
import { portalRoutes } from '../routes/api/portal-routes.js';
import { requestRoutes } from '../routes/api/request-routes.js';
import { serviceRoutes } from '../routes/api/service-routes.js';
import { sessionRoutes } from '../routes/api/session-routes.js';
import { signLogRoutes } from '../routes/api/sign-log-routes.js';
import type { AdminApiDeps } from './admin-api-deps.js';
import { adminAuth, adminCsrfBinding } from './admin-auth.js';
import { type ApiRoute, defineRoute } from './api-route.js';
import { mountApiRoutes } from './mount-api-routes.js';
import { openApiDocument } from './openapi-document.js';

/** The API's version in the OpenAPI document. */
export const ADMIN_API_VERSION = '1.0.0';

/** Every admin API route, the OpenAPI document's own route included. */
export function adminApiRoutes(deps: AdminApiDeps, dataDir: string): ApiRoute[] {
  const routes: ApiRoute[] = [
    ...sessionRoutes(deps),
    ...accountRoutes(deps),
    ...certificateRoutes(deps),
    ...signLogRoutes(deps),
    ...requestRoutes(deps),
    ...operationsRoutes(deps, dataDir),
    ...portalRoutes(deps),
    ...serviceRoutes(deps),
    ...meRoutes(deps),
  ];
  routes.push(
    defineRoute({
      method: 'GET',
      path: '/api/v1/openapi.json',
      authority: 'public',
      tag: 'API',
      summary: 'This API described in OpenAPI 3.1',
      response: z.record(z.string(), z.unknown()),
      handler: async () => openApiDocument(routes, { serverUrl: deps.publicBaseUrl, version: ADMIN_API_VERSION }),
    }),
  );
  return routes;
}

/** What createApp hands over (a subset of its own dependencies). */
export interface AdminPanelOptions
  extends Omit<
    AdminApiDeps,
    | 'accounts'
    | 'grants'
    | 'operators'
    | 'sessions'
    | 'tokens'
    | 'caStore'
    | 'inventory'
    | 'csrfTokenFor'
    | 'queueRoutes'
  > {
  dataDir: string;
  /** The tokens this deployment's workers serve (config.worker.tokens): their routes may hold parked jobs. */
  workerTokens?: readonly ConfiguredToken[];
  /** The app's CSRF tokens (middleware/csrf-guard.ts), bound here to panel sessions. */
  csrf: CsrfTokens;
  enrollment: EnrollmentService;
  /** config.adminToken: an admin API token from the environment. */
  envToken?: string | undefined;
}

/** The API deps built from the options (exported for tests). */
export function adminApiDeps(o: AdminPanelOptions): AdminApiDeps {
  const caStore = new FileCaStore(o.dataDir);
  const { workerTokens = [], ...rest } = o;
  return {
    ...rest,
    accounts: createAccountService({ store: o.store, now: o.now, logger: o.logger }),
    grants: createGrantService({ store: o.store, now: o.now, logger: o.logger }),
    operators: createOperatorService({
      store: o.store,
      masterKey: o.masterKey,
      issuer: o.otpIssuer,
      now: o.now,
      logger: o.logger,
    }),
    sessions: createAdminSessionService({ store: o.store, now: o.now }),
    tokens: createApiTokenService({ store: o.store, envToken: o.envToken, now: o.now }),
    caStore,
    inventory: () => loadServiceInventory({ caStore, dataDir: o.dataDir, now: o.now() }),
    csrfTokenFor: (sessionId) => o.csrf.tokenFor(adminCsrfBinding(sessionId)),
    queueRoutes: () => knownRoutes({ worker: { tokens: workerTokens } }, new FileTokenSnapshotStore(o.dataDir)),
  };
}

/** The auth middleware (only for /api/v1 and /admin) and the API router. */
export function adminApi(o: AdminPanelOptions): {
  middleware: Middleware;
  routers: Router[];
  deps: AdminApiDeps;
  routes: ApiRoute[];
} {
  const deps = adminApiDeps(o);
  const routes = adminApiRoutes(deps, o.dataDir);
  const auth = adminAuth({
    sessions: deps.sessions,
    tokens: deps.tokens,
    publicBaseUrl: o.publicBaseUrl,
    csrf: o.csrf,
  });
  const middleware: Middleware = async function adminOnly(ctx, next) {
    if (ctx.path.startsWith('/api/v1/') || ctx.path === '/admin' || ctx.path.startsWith('/admin/')) {
      return auth(ctx, next);
    }
    return next();
  };
  return { middleware, routers: [mountApiRoutes(routes, { store: o.store })], deps, routes };
}
