/**
 * An answer to a waiting request is a compare-and-set on its version, but the request's version also moves
 * while it waits for the signer: the worker records its confirmation with the portal and the notice sweep
 * records who was told. Losing the race to one of those is not "answered meanwhile": the request is read
 * again and, while it still waits, the answer is tried on the new version (the code was checked once, for
 * this request, and stays spent).
 */
import type { SignRequest } from '../domain/sign-request.js';
import type { Store } from '../store/store-ports.js';

/** Versions a single answer follows before it gives up (each is one write by somebody else). */
const MAX_RELOADS = 5;

/**
 * Runs `answer` on `first` and, after each lost compare-and-set (`answer` gives undefined), on the request
 * read again while it still waits. Gives what `answer` stored, or the request as last read (undefined: gone).
 */
export async function answerWhileWaiting<T>(
  store: Store,
  first: SignRequest,
  answer: (request: SignRequest) => Promise<T | undefined>,
): Promise<{ stored: T } | { stored?: undefined; last: SignRequest | undefined }> {
  let request: SignRequest | undefined = first;
  for (let reload = 0; reload <= MAX_RELOADS && request?.state === 'awaiting_signer'; reload++) {
    const stored = await answer(request);
    if (stored !== undefined) return { stored };
    request = await store.signRequests.get(first.id);
  }
  return { last: request };
}
