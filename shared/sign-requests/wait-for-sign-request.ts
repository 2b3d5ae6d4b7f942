/** Polls the store until a sign request reaches a final state (CLI `request submit --wait`). */
import { setTimeout as sleep } from 'node:timers/promises';
import { FINAL_STATES, type SignRequest } from '../domain/sign-request.js';
import { AppError, ErrorCode } from '../errors.js';
import type { Store } from '../store/store-ports.js';

/**
 * The request once final, or as it stands when `timeoutMs` ran out (the caller tells the two apart by state).
 * @throws AppError SIGN_REQUEST_NOT_FOUND
 */
export async function waitForSignRequest(options: {
  store: Store;
  id: string;
  timeoutMs: number;
  /** @default 200 */
  pollMs?: number;
}): Promise<SignRequest> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const request = await options.store.signRequests.get(options.id);
    if (!request) throw new AppError(ErrorCode.SIGN_REQUEST_NOT_FOUND, `No sign request with id ${options.id}`);
    if (FINAL_STATES.has(request.state) || Date.now() >= deadline) return request;
    await sleep(Math.min(options.pollMs ?? 200, Math.max(1, deadline - Date.now())));
  }
}
