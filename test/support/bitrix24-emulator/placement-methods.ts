/**
 * Deal-card widgets: `placement.bind`, `placement.unbind`, `placement.get` [bitrix24.md §5.1; doc
 * placement-bind/-unbind/-get]. Admin only. Binding the same placement and handler twice is refused with
 * "Handler already binded" (core `PlacementTable` check [src]; clients see it as `ERROR_CORE`, the code
 * [UNCONFIRMED]). `USER_ID` is only for `PAGE_BACKGROUND_WORKER` (`ERROR_PLACEMENT_USER_MODE`).
 */
import type { PlacementBinding } from './portal-state.js';
import { asRecord, asText, badRequest, type CallContext, type MethodTable, param } from './rest-context.js';
import { restErrors } from './rest-errors.js';

function required(ctx: CallContext, name: string): string {
  const value = asText(param(ctx.params, name)).trim();
  if (value === '') throw restErrors.argument(name);
  return value;
}

function bind(ctx: CallContext): true {
  const placement = required(ctx, 'PLACEMENT').toUpperCase();
  const handler = required(ctx, 'HANDLER');
  try {
    new URL(handler);
  } catch {
    throw badRequest('ERROR_WRONG_HANDLER_URL', 'Wrong handler URL');
  }
  const userId = Number(asText(param(ctx.params, 'USER_ID'))) || 0;
  if (userId !== 0 && placement !== 'PAGE_BACKGROUND_WORKER') {
    throw badRequest('ERROR_PLACEMENT_USER_MODE', 'User mode is not available');
  }
  const duplicate = ctx.portal.placements.some((p) => !p.private && p.placement === placement && p.handler === handler);
  if (duplicate) throw badRequest('ERROR_CORE', 'Unable to set placement handler: Handler already binded');
  const binding: PlacementBinding = {
    placement,
    handler,
    title: asText(param(ctx.params, 'TITLE')),
    description: asText(param(ctx.params, 'DESCRIPTION')),
    groupName: asText(param(ctx.params, 'GROUP_NAME')),
    langAll: asRecord(param(ctx.params, 'LANG_ALL')),
    options: asRecord(param(ctx.params, 'OPTIONS')),
    userId,
    private: false,
  };
  ctx.portal.placements.push(binding);
  return true;
}

function unbind(ctx: CallContext): { count: number } {
  const placement = required(ctx, 'PLACEMENT').toUpperCase();
  const handler = asText(param(ctx.params, 'HANDLER'));
  const before = ctx.portal.placements.length;
  // Without HANDLER every handler of the app for that placement goes [doc].
  const keep = ctx.portal.placements.filter(
    (p) => p.private || p.placement !== placement || (handler !== '' && p.handler !== handler),
  );
  ctx.portal.placements.splice(0, before, ...keep);
  return { count: before - keep.length };
}

/** The placement methods. */
export const placementMethods: MethodTable = {
  'placement.bind': { scopes: ['placement'], adminOnly: true, run: (ctx) => ({ result: bind(ctx) }) },
  'placement.unbind': { scopes: ['placement'], adminOnly: true, run: (ctx) => ({ result: unbind(ctx) }) },
  'placement.get': {
    scopes: ['placement'],
    run: (ctx) => ({
      result: ctx.portal.placements
        .filter((p) => !p.private)
        .map((p) => ({
          placement: p.placement,
          userId: p.userId,
          handler: p.handler,
          options: p.options ?? [],
          title: p.title,
          description: p.description,
          langAll: p.langAll ?? [],
        })),
    }),
  },
};
