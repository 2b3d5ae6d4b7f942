/**
 * Exactly one sender per notice: before a notice goes out, its kind is recorded on the request
 * (`notified[kind]`) with compare-and-set, so of several workers sweeping at once only the one whose write
 * won sends it. A send that fails gives the claim back, so a later sweep tries again.
 */
import type { NoticeKind, SignRequest } from '../domain/sign-request.js';
import type { Store } from '../store/store-ports.js';

/** Records `kind` as sent at `at`; the stored request, or undefined when sent already or the write was lost. */
export async function claimNotice(
  store: Store,
  request: SignRequest,
  kind: NoticeKind,
  at: Date,
): Promise<SignRequest | undefined> {
  if (request.notified?.[kind]) return undefined;
  const next: SignRequest = { ...request, notified: { ...request.notified, [kind]: at.toISOString() } };
  if (!(await store.signRequests.update(next, request.version))) return undefined;
  return { ...next, version: request.version + 1 };
}

/** Gives a claim back after a failed send (best effort: a lost race leaves the notice unsent, never doubled). */
export async function releaseNotice(store: Store, requestId: string, kind: NoticeKind): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = await store.signRequests.get(requestId);
    if (!current?.notified?.[kind]) return;
    const { [kind]: _released, ...rest } = current.notified;
    if (await store.signRequests.update({ ...current, notified: rest }, current.version)) return;
  }
}
