/**
 * (Re-)registers everything the app needs on a portal, on every install and update (reference §1.1: an
 * update deletes the app's robots and activities; §9.3 "re-run registration on every install or update").
 * Idempotent: one batched read of what exists (robot and activity lists, placements, event handlers), then
 * only the writes that are missing — `.add` for a new step, `.update` for an existing one (and for
 * ERROR_ACTIVITY_ALREADY_INSTALLED, §9.3 "treat it as exists, update instead"), `placement.bind` /
 * `event.bind` only when our handler is not bound yet ("Handler already binded" counts as done).
 * Registration calls are admin-only and application-context only (§2, §5.1); the stored tokens are the
 * installing administrator's.
 */
import { AppError, ErrorCode } from '../errors.js';
import type { Bitrix24Client } from './rest-client.js';
import {
  ACTIVITY_CODE,
  APP_EVENTS,
  type AppUrls,
  ROBOT_CODE,
  SIGN_PLACEMENT,
  signPlacementBinding,
  stepRegistration,
} from './robot-definition.js';

/** What registration did. */
export interface RegistrationReport {
  robot: 'added' | 'updated';
  activity: 'added' | 'updated';
  placement: 'bound' | 'kept';
  events: Record<string, 'bound' | 'kept'>;
}

type Existing = { robots: string[]; activities: string[]; placements: Bound[]; events: Bound[] };
type Bound = { name: string; handler: string };

const isCode = (error: unknown, ...codes: string[]) =>
  error instanceof AppError && codes.includes(String(error.details?.b24Error ?? ''));

function list(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  return value !== null && typeof value === 'object' ? Object.values(value) : [];
}

async function readExisting(client: Bitrix24Client, memberId: string): Promise<Existing> {
  const { results } = await client.batch(memberId, {
    robots: { method: 'bizproc.robot.list' },
    activities: { method: 'bizproc.activity.list' },
    placements: { method: 'placement.get' },
    events: { method: 'event.get' },
  });
  const codes = (v: unknown) => list(v).map((c) => String(c).toLowerCase());
  const bound = (v: unknown, nameKey: string): Bound[] =>
    list(v).map((row) => {
      const r = (row ?? {}) as Record<string, unknown>;
      return { name: String(r[nameKey] ?? '').toUpperCase(), handler: String(r.handler ?? '') };
    });
  return {
    robots: codes(results.robots),
    activities: codes(results.activities),
    placements: bound(results.placements, 'placement'),
    events: bound(results.events, 'event'),
  };
}

/** Adds or updates one robot/activity. */
async function registerStep(
  client: Bitrix24Client,
  memberId: string,
  kind: 'robot' | 'activity',
  exists: boolean,
  fields: Record<string, unknown>,
): Promise<'added' | 'updated'> {
  const code = kind === 'robot' ? ROBOT_CODE : ACTIVITY_CODE;
  const update = async () => {
    // Repeatable: the same fields again leave the same registration.
    await client.call(memberId, `bizproc.${kind}.update`, { CODE: code, FIELDS: fields }, { idempotent: true });
    return 'updated' as const;
  };
  if (exists) return update();
  try {
    await client.call(memberId, `bizproc.${kind}.add`, { CODE: code, ...fields });
    return 'added';
  } catch (error) {
    // Registered meanwhile, or our add landed but its answer was lost: make it current with an update.
    const unknown = error instanceof AppError && error.code === ErrorCode.B24_OUTCOME_UNKNOWN;
    if (unknown || isCode(error, 'ERROR_ACTIVITY_ALREADY_INSTALLED')) return update();
    throw error;
  }
}

/** Binds a placement or event handler unless it is bound already. */
async function bindOnce(
  client: Bitrix24Client,
  memberId: string,
  method: 'placement.bind' | 'event.bind',
  params: Record<string, unknown>,
  already: boolean,
  attempt = 1,
): Promise<'bound' | 'kept'> {
  if (already) return 'kept';
  try {
    await client.call(memberId, method, params);
    return 'bound';
  } catch (error) {
    // "Handler already binded" (ERROR_CORE): a concurrent install, or a lost answer of our own bind.
    if (isCode(error, 'ERROR_CORE') && /already bind/i.test((error as Error).message)) return 'kept';
    // A lost answer: binding again is safe (a landed bind answers "already binded" above).
    if (error instanceof AppError && error.code === ErrorCode.B24_OUTCOME_UNKNOWN && attempt < 3) {
      return bindOnce(client, memberId, method, params, false, attempt + 1);
    }
    throw error;
  }
}

/**
 * Registers the robot, the activity, the Sign button and the app events on portal `memberId`.
 * @throws AppError from the client (B24_ACCESS_DENIED when the tokens are not an administrator's, …)
 */
export async function registerApp(
  client: Bitrix24Client,
  memberId: string,
  options: { urls: AppUrls; authUserId: number | undefined; lang?: 'ru' | 'en' },
): Promise<RegistrationReport> {
  const existing = await readExisting(client, memberId);
  const step = (kind: 'robot' | 'activity') =>
    stepRegistration({
      kind,
      handler: options.urls.robot,
      authUserId: options.authUserId,
      ...(options.lang ? { lang: options.lang } : {}),
    });
  const robot = await registerStep(client, memberId, 'robot', existing.robots.includes(ROBOT_CODE), step('robot'));
  const activity = await registerStep(
    client,
    memberId,
    'activity',
    existing.activities.includes(ACTIVITY_CODE),
    step('activity'),
  );
  const handler = options.urls.placementSign;
  const placement = await bindOnce(
    client,
    memberId,
    'placement.bind',
    signPlacementBinding(handler),
    existing.placements.some((p) => p.name === SIGN_PLACEMENT && p.handler === handler),
  );
  const events: Record<string, 'bound' | 'kept'> = {};
  for (const event of APP_EVENTS) {
    const bound = existing.events.some((e) => e.name === event && e.handler === options.urls.events);
    events[event] = await bindOnce(client, memberId, 'event.bind', { event, handler: options.urls.events }, bound);
  }
  return { robot, activity, placement, events };
}
