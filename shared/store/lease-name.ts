/**
 * The names of `LeaseRepository` leases and the names the service uses: checked the same way by both
 * adapters, so one name is one lease in SQLite and in MongoDB alike.
 */
import { AppError, ErrorCode } from '../errors.js';

/** Throws INVALID_ARGUMENT unless `name` is 1–300 characters and `ttlMs` (when given) a positive number. */
export function assertLease(name: string, owner: string, ttlMs?: number): void {
  if (typeof name !== 'string' || name.length < 1 || name.length > 300) {
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      `Lease name ${JSON.stringify(name)} is invalid: use 1–300 characters`,
    );
  }
  if (typeof owner !== 'string' || owner.length < 1 || owner.length > 300) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, 'A lease owner is 1–300 characters');
  }
  if (ttlMs !== undefined && !(Number.isFinite(ttlMs) && ttlMs > 0)) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, `A lease lasts a positive number of milliseconds, not ${ttlMs}`);
  }
}

/** The lease that makes a portal's OAuth refreshes one at a time across processes. */
export const portalRefreshLease = (memberId: string) => `portal-refresh/${memberId}`;
