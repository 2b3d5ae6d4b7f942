/**
 * The app's life on a portal (reference §1.1–§1.3, §7):
 *
 * - `POST /b24/install`: the install callback of an app without UI — `ONAPPINSTALL`, form-encoded `auth[…]`.
 * - `POST /b24/app`: the app page (`PLACEMENT=DEFAULT`). While the app is not installed yet (a UI app's
 *   install page) it installs from the page's tokens and answers a page that calls `BX24.installFinish()`;
 *   afterwards it shows that the app is installed.
 * - `POST /b24/events`: `ONAPPUPDATE` (a binding like an install: it brings a new application_token, stored
 *   only once an administrator is proven; then re-registered: an update deletes the robots, §1.1) and
 *   `ONAPPUNINSTALL` (honoured only when the portal confirms it, portal-unbind.ts).
 *
 * Every binding needs proof that a portal administrator acts (install-portal.ts). Refused calls answer 403
 * and are logged as warnings with the portal's member_id and the sender's address.
 */
import { Router } from '@koa/router';
import type { Context } from 'koa';
import type { FormObject } from '../../shared/bitrix24/form-body.js';
import {
  parseB24Payload,
  type TTokenAuth,
  ZAppUninstallEvent,
  ZAppUpdateEvent,
  ZInstallEvent,
  ZPlacementBody,
  ZPlacementQuery,
} from '../../shared/bitrix24/payloads.js';
import { applicationTokenMatches } from '../../shared/bitrix24/verify-application-token.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { type Bitrix24RoutesDeps, installPortal } from '../bitrix24/install-portal.js';
import { unbindPortal } from '../bitrix24/portal-unbind.js';
import { bitrix24Form } from '../middleware/bitrix24-form.js';
import { installedPage } from './bitrix24-page.js';

/** Logs a refused Bitrix24 call (forged or for an unknown portal) before the error handler answers 403. */
export async function logRefusal<T>(deps: Bitrix24RoutesDeps, ctx: Context, memberId: unknown, run: () => Promise<T>) {
  try {
    return await run();
  } catch (error) {
    // Refusals with a reason were recorded where they were decided (record-refusal.ts).
    if (error instanceof AppError && error.code === ErrorCode.B24_FORBIDDEN && error.details?.reason === undefined) {
      deps.logger.warn(
        { path: ctx.path, memberId: typeof memberId === 'string' ? memberId.slice(0, 64) : undefined, ip: ctx.ip },
        'bitrix24 call refused: unknown portal or wrong application_token',
      );
    }
    throw error;
  }
}

const form = (ctx: Context) => ctx.state.b24Form as FormObject;
const authOf = (f: FormObject) => (f.auth ?? {}) as Record<string, unknown>;
/** The posted member_id (`auth[member_id]`, or `member_id` of a page), unchecked: for logs only. */
export const memberOf = (f: FormObject) => authOf(f).member_id ?? f.member_id;

/**
 * A call without any application_token is refused like a wrong one (403), before its shape is looked at:
 * the token is the proof that the portal sent it (reference §7).
 */
export function requireApplicationToken(f: FormObject): void {
  const token = authOf(f).application_token ?? f.APPLICATION_TOKEN;
  if (typeof token !== 'string' || token === '') {
    throw new AppError(
      ErrorCode.B24_FORBIDDEN,
      'The request carries no application_token; it does not come from Bitrix24',
    );
  }
}

/** The lifecycle routes. */
export function bitrix24LifecycleRoutes(deps: Bitrix24RoutesDeps): Router {
  const router = new Router();

  router.post('/b24/install', bitrix24Form(), async function install(ctx) {
    const event = parseB24Payload(ZInstallEvent, form(ctx), 'install event');
    const installed = await logRefusal(deps, ctx, event.auth.member_id, () =>
      installPortal(deps, event.auth, { via: 'install', language: event.data.LANGUAGE_ID, ip: ctx.ip }),
    );
    ctx.body = { installed: true, memberId: installed.portal.memberId, registration: installed.registration };
  });

  router.post('/b24/events', bitrix24Form(), async function appEvent(ctx) {
    const body = form(ctx);
    const name = String(body.event ?? '').toUpperCase();
    await logRefusal(deps, ctx, memberOf(body), async () => {
      requireApplicationToken(body);
      if (name === 'ONAPPUNINSTALL') {
        const event = parseB24Payload(ZAppUninstallEvent, body, 'uninstall event');
        await unbindPortal(deps, {
          memberId: event.auth.member_id,
          applicationToken: event.auth.application_token,
          clean: event.data.CLEAN,
          ip: ctx.ip,
        });
        ctx.body = { uninstalled: true, purged: event.data.CLEAN };
        return;
      }
      if (name === 'ONAPPUPDATE') {
        const event = parseB24Payload(ZAppUpdateEvent, body, 'update event');
        const updated = await installPortal(deps, event.auth, {
          via: 'update',
          language: event.data.LANGUAGE_ID,
          ip: ctx.ip,
        });
        ctx.body = { updated: true, registration: updated.registration };
        return;
      }
      throw new AppError(ErrorCode.B24_INVALID_PAYLOAD, `This app does not handle the event '${name || '(none)'}'`);
    });
  });

  router.post('/b24/app', bitrix24Form(), async function appPage(ctx) {
    await logRefusal(deps, ctx, memberOf(form(ctx)), async () => requireApplicationToken(form(ctx)));
    const body = parseB24Payload(ZPlacementBody, form(ctx), 'app page');
    const query = parseB24Payload(ZPlacementQuery, ctx.query, 'app page query');
    const stored = await deps.store.portals.get(body.member_id);
    const known =
      stored?.status === 'installed' && applicationTokenMatches(stored.applicationTokenHash, body.APPLICATION_TOKEN);
    if (!known) {
      if (!body.REFRESH_ID)
        throw new AppError(ErrorCode.B24_INVALID_PAYLOAD, 'The install page came without REFRESH_ID');
      const auth: TTokenAuth = {
        access_token: body.AUTH_ID,
        refresh_token: body.REFRESH_ID,
        expires_in: body.AUTH_EXPIRES,
        scope: body.APPLICATION_SCOPE ?? '',
        domain: query.DOMAIN,
        client_endpoint: '',
        server_endpoint: body.SERVER_ENDPOINT ?? '',
        member_id: body.member_id,
        application_token: body.APPLICATION_TOKEN,
        status: body.status,
      };
      await logRefusal(deps, ctx, body.member_id, () =>
        installPortal(deps, auth, { via: 'page', language: query.LANG, ip: ctx.ip }),
      );
    }
    if (known && stored && deps.openPanel && body.PLACEMENT === 'DEFAULT') {
      await deps.openPanel(ctx, { portal: stored, authId: body.AUTH_ID, ...(query.LANG ? { lang: query.LANG } : {}) });
      return;
    }
    installedPage(ctx, { domain: query.DOMAIN, finishInstall: !known, language: query.LANG });
  });

  return router;
}
