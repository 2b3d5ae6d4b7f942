/**
 * Workflow ids and event tokens. The core's `generateToken` signs `workflowId|activityName|eventId` with
 * `Signer` (salt `bizproc`) and `bizproc.event.send` checks only that signature [bitrix24.md §3, §4.1 src]; here
 * an HMAC-SHA256 with a per-portal secret plays the signer, so a forged or other-portal token is refused.
 * Shapes follow the reference: `68c2a9f1e2b3c4.12345678` and
 * `<workflowId>|A12345_67890_11111_22222|<32 chars>.<64 hex>`.
 */
import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { PortalState } from './portal-state.js';

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A workflow instance id like `68c2a9f1e2b3c4.12345678`. */
export function newWorkflowId(): string {
  return `${randomBytes(7).toString('hex')}.${String(randomInt(10_000_000, 100_000_000))}`;
}

/** A signed event token for one activity run of `workflowId`. */
export function issueEventToken(portal: PortalState, workflowId: string): string {
  const activityName = `A${[0, 0, 0, 0].map(() => String(randomInt(10_000, 100_000))).join('_')}`;
  const eventId = Array.from({ length: 32 }, () => ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]).join('');
  const body = `${workflowId}|${activityName}|${eventId}`;
  return `${body}.${sign(portal, body)}`;
}

/** True when the token carries this portal's signature. */
export function verifyEventToken(portal: PortalState, token: string): boolean {
  const dot = token.lastIndexOf('.');
  if (dot < 0) return false;
  const given = Buffer.from(token.slice(dot + 1));
  const expected = Buffer.from(sign(portal, token.slice(0, dot)));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function sign(portal: PortalState, body: string): string {
  return createHmac('sha256', portal.signingSecret).update(`bizproc:${body}`).digest('hex');
}
