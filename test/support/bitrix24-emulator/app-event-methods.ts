/**
 * App-level methods: `app.info` on the portal, and event handlers `event.bind` / `event.unbind` / `event.get`
 * [bitrix24.md §1.1, §7; doc app-info, event-bind]. Binding the same event and handler twice is refused with
 * "Handler already binded" (`ERROR_CORE` as clients report it [UNCONFIRMED]). Non-admins may bind online events
 * for themselves only, so `auth_type` (run the handler as another user) is admin-only.
 */
import type { EventBinding } from './portal-state.js';
import { asText, badRequest, type CallContext, type MethodTable, param } from './rest-context.js';
import { restErrors } from './rest-errors.js';

/** Events an app of this kind can bind (the portal answers ERROR_EVENT_NOT_FOUND for anything else). */
const KNOWN_EVENTS = new Set([
  'ONAPPINSTALL',
  'ONAPPUPDATE',
  'ONAPPUNINSTALL',
  'ONAPPPAYMENT',
  'ONCRMDEALADD',
  'ONCRMDEALUPDATE',
  'ONCRMDEALDELETE',
  'ONCRMTIMELINECOMMENTADD',
  'ONUSERADD',
]);

function bind(ctx: CallContext): true {
  const event = asText(param(ctx.params, 'event')).toUpperCase();
  if (event === '') throw restErrors.argument('event');
  if (!KNOWN_EVENTS.has(event)) throw badRequest('ERROR_EVENT_NOT_FOUND', 'Event not found');
  const offline = asText(param(ctx.params, 'event_type')).toLowerCase() === 'offline';
  const handler = asText(param(ctx.params, 'handler'));
  if (!offline) {
    if (handler === '') throw restErrors.argument('handler');
    try {
      new URL(handler);
    } catch {
      throw badRequest('ERROR_WRONG_HANDLER_URL', 'Wrong handler URL');
    }
  }
  const authTypeText = asText(param(ctx.params, 'auth_type'));
  if (authTypeText !== '' && !ctx.user.admin) throw restErrors.accessDenied('Access denied!');
  const authType = Number(authTypeText) || (ctx.user.admin ? 0 : ctx.user.id);
  if (ctx.portal.events.some((e) => e.event === event && e.handler === handler && e.authType === authType)) {
    throw badRequest('ERROR_CORE', 'Handler already binded');
  }
  const binding: EventBinding = { id: ctx.portal.nextId('event'), event, handler, authType, offline };
  ctx.portal.events.push(binding);
  return true;
}

function unbind(ctx: CallContext): { count: number } {
  const event = asText(param(ctx.params, 'event')).toUpperCase();
  if (event === '') throw restErrors.argument('event');
  const handler = asText(param(ctx.params, 'handler'));
  const before = ctx.portal.events.length;
  const keep = ctx.portal.events.filter((e) => e.event !== event || (handler !== '' && e.handler !== handler));
  ctx.portal.events.splice(0, before, ...keep);
  return { count: before - keep.length };
}

/** The app and event-handler methods. */
export const appEventMethods: MethodTable = {
  'app.info': {
    scopes: 'basic',
    run: (ctx) => ({
      result: {
        ID: 1,
        CODE: ctx.portal.identity.app.clientId,
        VERSION: ctx.portal.appVersion,
        STATUS: ctx.portal.identity.status,
        INSTALLED: ctx.portal.installed,
        PAYMENT_EXPIRED: 'N',
        DAYS: null,
        LANGUAGE_ID: ctx.portal.identity.languageId,
        LICENSE: `${ctx.portal.identity.languageId}_pro100`,
        LICENSE_TYPE: 'pro100',
        LICENSE_FAMILY: 'pro',
      },
    }),
  },
  'event.bind': { scopes: 'basic', run: (ctx) => ({ result: bind(ctx) }) },
  'event.unbind': { scopes: 'basic', adminOnly: true, run: (ctx) => ({ result: unbind(ctx) }) },
  'event.get': {
    scopes: 'basic',
    run: (ctx) => ({
      result: ctx.portal.events.map((e) => ({
        event: e.event,
        handler: e.handler,
        auth_type: String(e.authType),
        offline: e.offline ? 1 : 0,
      })),
    }),
  },
};
