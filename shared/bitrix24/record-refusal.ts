/**
 * Recording a refused Bitrix24 claim (binding-refusal.ts): a warning log line for every one (member_id,
 * the sender's address, the reason, the user the OAuth server named — never a token), and a sign-log entry
 * (`portal_bind_refused`, `portal_unbind_refused`, `robot_call_refused`) when the member_id names a portal
 * this service holds, so its administrators and the operator see the attempt in the audit trail.
 *
 * Anyone who knows a portal's member_id can make refusals, so the sign log gets at most one entry per
 * action, portal and reason a minute and process; the entry after a quiet minute says how many were folded
 * into it (`details.folded`). Nothing is dropped from the warning log. A sign log that cannot be written is
 * logged as an error; the refusal stands either way.
 */
import type { SignLogAction } from '../domain/sign-log-entry.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store-ports.js';

export type RefusalAction = Extract<
  SignLogAction,
  'portal_bind_refused' | 'portal_unbind_refused' | 'robot_call_refused'
>;

export interface Refusal {
  action: RefusalAction;
  memberId: string;
  reason: string;
  /** Who the OAuth server or the portal said acted, when known. */
  userId?: number;
  /** The sender's address. */
  ip?: string;
  requestId?: string;
  /** Facts for both records (never secrets): the route, the workflow id, … */
  details?: Record<string, string | number | boolean>;
}

export interface RefusalDeps {
  store: Pick<Store, 'portals' | 'signLog'>;
  logger: Logger;
  now: () => Date;
}

const LOG_LINES: Record<RefusalAction, string> = {
  portal_bind_refused: 'bitrix24 call refused: portal bind without proof of an administrator',
  portal_unbind_refused: 'bitrix24 call refused: portal unbind the portal does not confirm',
  robot_call_refused: 'bitrix24 call refused: robot call the portal does not confirm',
};
const WINDOW_MS = 60_000;
const MAX_KEYS = 10_000;

/** Per process: when each (action, portal, reason) may write its next entry, and how many waited. */
const windows = new Map<string, { openAt: number; folded: number }>();

/** Takes the window of `key` at `now`: the number folded since the last entry, or undefined while closed. */
function takeWindow(key: string, now: number): number | undefined {
  const current = windows.get(key);
  if (current && current.openAt > now) {
    current.folded++;
    return undefined;
  }
  if (windows.size >= MAX_KEYS) {
    for (const [k, w] of windows) if (w.openAt <= now) windows.delete(k);
    if (windows.size >= MAX_KEYS) windows.delete(windows.keys().next().value as string);
  }
  windows.set(key, { openAt: now + WINDOW_MS, folded: 0 });
  return current?.folded ?? 0;
}

/** Logs the refusal and, for a portal this service holds, appends it to the sign log (throttled). */
export async function recordRefusal(deps: RefusalDeps, refusal: Refusal): Promise<void> {
  const { action, memberId, reason, userId, ip, requestId, details } = refusal;
  deps.logger.warn(
    { memberId, ip, reason, ...(userId ? { userId } : {}), ...(requestId ? { requestId } : {}), ...details },
    LOG_LINES[action],
  );
  try {
    if (!(await deps.store.portals.get(memberId))) return;
    const at = deps.now();
    const folded = takeWindow(`${action}\n${memberId}\n${reason}`, at.getTime());
    if (folded === undefined) return;
    await deps.store.signLog.append({
      time: at,
      action,
      actor: { memberId, ...(userId ? { userId } : {}), role: 'bitrix24' },
      outcome: 'error',
      ...(requestId ? { requestId } : {}),
      ...(ip ? { clientAddress: ip } : {}),
      details: { reason, ...details, ...(folded > 0 ? { folded } : {}) },
    });
  } catch (error) {
    deps.logger.error({ memberId, action, error }, 'a refused bitrix24 call could not be written to the sign log');
  }
}
