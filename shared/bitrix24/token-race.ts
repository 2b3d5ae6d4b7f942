/**
 * A call refused with `expired_token` even after the client took fresh tokens (rest-client.ts refreshes at
 * most twice per call). Under load this is a race, not a broken installation: another call's refresh, or a
 * token the portal expired early, replaced the tokens again while this call was under way. The call did not
 * run (reference §1.6: 401 means refused), so repeating it is safe for any method, writes included. A real
 * failure of the installation comes from the OAuth server (`invalid_grant`, `invalid_client`) and is not
 * repeated.
 */
import { AppError, ErrorCode } from '../errors.js';

const RACE_CODES = new Set(['expired_token', 'invalid_token']);

/** True for B24_AUTH_FAILED caused by the portal refusing (fresh) tokens, not by the OAuth server. */
export function isTokenRace(error: unknown): boolean {
  return (
    error instanceof AppError &&
    error.code === ErrorCode.B24_AUTH_FAILED &&
    RACE_CODES.has(String(error.details?.b24Error ?? ''))
  );
}

/** Runs `call`, repeating it (up to `attempts` times in all) while it fails with a token race. */
export async function repeatOnTokenRace<T>(call: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isTokenRace(error) || attempt >= attempts) throw error;
    }
  }
}
