/**
 * Registering robots and activities: `bizproc.robot.add/update/delete/list` and `bizproc.activity.*`
 * [bitrix24.md §2.1, §2.2]. Both families are admin-only, share one table (a robot and an activity of the same
 * app cannot share a CODE), and validate as the core's `RestService::prepareActivityData` does [src]: top-level
 * keys case-insensitive, CODE `^[a-z0-9.\-_]+$`, property codes `^[a-z][a-z0-9_]*$` each with a Name.
 */
import type { ActivityRegistration, PortalState } from './portal-state.js';
import {
  asRecord,
  asText,
  badRequest,
  type CallContext,
  isYes,
  type MethodTable,
  type Params,
  upperKeys,
} from './rest-context.js';
import type { RestError } from './rest-errors.js';

const CODE_PATTERN = /^[a-z0-9.\-_]+$/i;
const PROPERTY_PATTERN = /^[a-z][a-z0-9_]*$/i;

function validation(message: string): RestError {
  return badRequest('ERROR_ACTIVITY_VALIDATION_FAILURE', message);
}

function notFound(): RestError {
  return badRequest('ERROR_ACTIVITY_NOT_FOUND', 'Activity or Robot not found!');
}

/** Checks a HANDLER / PLACEMENT_HANDLER URL: http(s), and on the app's host once the app's host is known. */
function checkHandlerUrl(portal: PortalState, value: unknown): string {
  const text = asText(value);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badRequest('ERROR_WRONG_HANDLER_URL', 'Wrong handler URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw badRequest('ERROR_UNSUPPORTED_PROTOCOL', 'Unsupported event handler protocol');
  }
  // "The link must have the same domain where the application is installed" [doc].
  if (portal.appHost !== undefined && url.host !== portal.appHost) {
    throw badRequest('ERROR_WRONG_HANDLER_URL', 'Wrong handler URL');
  }
  return text;
}

function checkProperties(value: unknown): Record<string, Record<string, unknown>> {
  if (value === undefined || value === '') return {};
  // A list arrives as keys 0..n-1 (e.g. a form-encoded empty object): "Wrong property key (0)!" [src].
  if (value === null || typeof value !== 'object') throw validation('Wrong properties array!');
  const out: Record<string, Record<string, unknown>> = {};
  for (const [key, descriptor] of Object.entries(value as object)) {
    if (!PROPERTY_PATTERN.test(key)) throw validation(`Wrong property key (${key})!`);
    const upper = upperKeys(asRecord(descriptor) ?? {});
    if (upper.NAME === undefined || upper.NAME === '') throw validation(`Empty property NAME (${key})!`);
    out[key] = upper;
  }
  return out;
}

function checkDocumentType(value: unknown): unknown {
  if (value === undefined || value === '') return undefined;
  const ok =
    Array.isArray(value) && value.length === 3 && value.every((part) => typeof part === 'string' && part !== '');
  if (!ok) throw validation('Wrong activity DOCUMENT_TYPE!');
  return value;
}

function checkFilter(value: unknown): unknown {
  if (value === undefined || value === '') return undefined;
  const filter = asRecord(value);
  const keysOk =
    filter !== undefined && Object.keys(filter).every((key) => ['INCLUDE', 'EXCLUDE'].includes(key.toUpperCase()));
  if (!keysOk) throw validation('Wrong activity FILTER!');
  return value;
}

function useSubscriptionOf(value: unknown): '' | 'Y' | 'N' {
  const text = asText(value).toUpperCase();
  return text === 'Y' || text === 'N' ? text : '';
}

/** Builds a registration from upper-cased parameters, as the core validates them. */
function buildRegistration(
  portal: PortalState,
  kind: ActivityRegistration['kind'],
  data: Params,
): ActivityRegistration {
  if (Object.keys(data).length === 0) throw validation('Empty data!');
  const code = asText(data.CODE);
  if (code === '') throw validation('Empty activity code!');
  if (!CODE_PATTERN.test(code)) throw validation('Wrong activity code!');
  const handler = checkHandlerUrl(portal, data.HANDLER);
  const name = data.NAME;
  if (name === undefined || name === '' || (asRecord(name) !== undefined && Object.keys(name as object).length === 0)) {
    throw validation('Empty activity NAME!');
  }
  const usePlacement = isYes(data.USE_PLACEMENT);
  return {
    kind,
    code,
    handler,
    authUserId: Number(asText(data.AUTH_USER_ID)) || 0,
    useSubscription: useSubscriptionOf(data.USE_SUBSCRIPTION),
    name,
    description: data.DESCRIPTION,
    properties: checkProperties(data.PROPERTIES),
    returnProperties: checkProperties(data.RETURN_PROPERTIES),
    documentType: checkDocumentType(data.DOCUMENT_TYPE),
    filter: checkFilter(data.FILTER),
    usePlacement,
    placementHandler: usePlacement ? checkHandlerUrl(portal, data.PLACEMENT_HANDLER) : undefined,
  };
}

/** The robot-settings placement `USE_PLACEMENT=Y` registers privately [src]. */
function syncSettingsPlacement(
  portal: PortalState,
  registration: ActivityRegistration | undefined,
  code: string,
): void {
  const index = portal.placements.findIndex((p) => p.private && p.title === code);
  if (index >= 0) portal.placements.splice(index, 1);
  if (registration?.usePlacement && registration.placementHandler !== undefined) {
    portal.placements.push({
      placement: 'BIZPROC_ACTIVITY_PROPERTIES_DIALOG',
      handler: registration.placementHandler,
      title: code,
      description: '',
      groupName: '',
      langAll: undefined,
      options: undefined,
      userId: 0,
      private: true,
    });
  }
}

/** Deletes every robot and activity of the app (app update and uninstall do this [src onRestAppDelete]). */
export function deleteAllActivities(portal: PortalState): void {
  for (const code of [...portal.activities.keys()]) syncSettingsPlacement(portal, undefined, code);
  portal.activities.clear();
}

function familyMethods(kind: ActivityRegistration['kind']): MethodTable {
  const prefix = `bizproc.${kind}`;
  const find = (ctx: CallContext, code: string) => {
    const found = ctx.portal.activities.get(code.toLowerCase());
    return found?.kind === kind ? found : undefined;
  };
  return {
    [`${prefix}.add`]: {
      scopes: ['bizproc'],
      adminOnly: true,
      run(ctx) {
        const registration = buildRegistration(ctx.portal, kind, upperKeys(ctx.params));
        if (ctx.portal.activities.has(registration.code.toLowerCase())) {
          throw badRequest('ERROR_ACTIVITY_ALREADY_INSTALLED', 'Activity or Robot already installed!');
        }
        ctx.portal.activities.set(registration.code.toLowerCase(), registration);
        syncSettingsPlacement(ctx.portal, registration, registration.code);
        return { result: true };
      },
    },
    [`${prefix}.update`]: {
      scopes: ['bizproc'],
      adminOnly: true,
      run(ctx) {
        const data = upperKeys(ctx.params);
        const existing = find(ctx, asText(data.CODE));
        if (existing === undefined) throw notFound();
        const fields = upperKeys(asRecord(data.FIELDS) ?? {});
        if (Object.keys(fields).length === 0) throw validation('No fields to update');
        const merged = buildRegistration(ctx.portal, kind, {
          ...upperKeys(existingAsParams(existing)),
          ...fields,
          CODE: existing.code,
        });
        ctx.portal.activities.set(existing.code.toLowerCase(), merged);
        syncSettingsPlacement(ctx.portal, merged, merged.code);
        return { result: true };
      },
    },
    [`${prefix}.delete`]: {
      scopes: ['bizproc'],
      adminOnly: true,
      run(ctx) {
        const existing = find(ctx, asText(upperKeys(ctx.params).CODE));
        if (existing === undefined) throw notFound();
        ctx.portal.activities.delete(existing.code.toLowerCase());
        syncSettingsPlacement(ctx.portal, undefined, existing.code);
        return { result: true };
      },
    },
    [`${prefix}.list`]: {
      scopes: ['bizproc'],
      adminOnly: true,
      run: (ctx) => ({
        result: [...ctx.portal.activities.values()].filter((entry) => entry.kind === kind).map((entry) => entry.code),
      }),
    },
  };
}

function existingAsParams(entry: ActivityRegistration): Params {
  return {
    CODE: entry.code,
    HANDLER: entry.handler,
    AUTH_USER_ID: entry.authUserId,
    USE_SUBSCRIPTION: entry.useSubscription,
    NAME: entry.name,
    DESCRIPTION: entry.description,
    PROPERTIES: entry.properties,
    RETURN_PROPERTIES: entry.returnProperties,
    DOCUMENT_TYPE: entry.documentType,
    FILTER: entry.filter,
    USE_PLACEMENT: entry.usePlacement ? 'Y' : 'N',
    PLACEMENT_HANDLER: entry.placementHandler,
  };
}

/** Robot and activity registration methods. */
export const bizprocRegistrationMethods: MethodTable = { ...familyMethods('robot'), ...familyMethods('activity') };
