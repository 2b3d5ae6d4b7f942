/**
 * Routes name queues ("token:SignToken1", "internal"). Both adapters check them the same way, so a route
 * accepted by the embedded queue in development also works on RabbitMQ in production.
 */
import { AppError, ErrorCode } from '../errors.js';

/** Names the AMQP adapter uses for itself under the prefix; a route must not collide with them. */
const RESERVED = /^(jobs$|parked\.|retry\.)/;

/** Throws INVALID_ARGUMENT unless `route` is 1–200 bytes of text without control characters or a reserved name. */
export function assertRoute(route: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  const bad = route.length === 0 || Buffer.byteLength(route) > 200 || /[\u0000-\u001f\u007f]/.test(route);
  if (bad || RESERVED.test(route)) {
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      `Queue route ${JSON.stringify(route)} is invalid: use 1–200 bytes of printable text that does not start ` +
        'with "parked." or "retry." and is not "jobs", e.g. "token:SignToken1" or "internal".',
    );
  }
}
