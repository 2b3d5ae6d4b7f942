/**
 * What waits for a signer: the robot requests of their account on one portal that are `awaiting_signer` and
 * not past their deadline, the soonest deadline first. The approval page's "Waiting for me" list shows them
 * (its link proves the signer) and a batch is chosen from them.
 */
import type { SignRequest } from '../domain/sign-request.js';
import type { Store } from '../store/store-ports.js';

/** Requests read at most for one list (far above any batch cap; older ones show once these are decided). */
export const WAITING_LIST_LIMIT = 1000;

/** The signer's waiting requests on `memberId` at `now`, soonest deadline first (then oldest). */
export async function waitingRequests(
  store: Store,
  signer: { accountId: string; memberId: string },
  now: Date,
): Promise<SignRequest[]> {
  const rows = await store.signRequests.list(
    { state: 'awaiting_signer', accountId: signer.accountId },
    WAITING_LIST_LIMIT,
  );
  const deadline = (r: SignRequest) => r.deadline?.getTime() ?? Number.POSITIVE_INFINITY;
  return rows
    .filter((r) => r.document.kind === 'bitrix24' && r.document.memberId === signer.memberId)
    .filter((r) => deadline(r) > now.getTime())
    .sort((a, b) => deadline(a) - deadline(b) || a.createdAt.getTime() - b.createdAt.getTime());
}
