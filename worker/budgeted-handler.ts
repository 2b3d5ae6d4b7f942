/**
 * The worker's handler under its byte budget (byte-budget.ts): before a sign job runs it reserves what its
 * document will cost in memory — about twice the document's size while it is signed (the input and the
 * signed copy are both held), once its size while a signed copy is delivered, nothing for the steps after
 * delivery or for a request that is final or waits for its signer. The size is the one the fetch step
 * recorded, else the gateway's (a local file's size), else `UNKNOWN_SIZE` (a Bitrix24 file not fetched yet).
 */
import { FINAL_STATES, type SignRequest, WAITING_STATES } from '../shared/domain/sign-request.js';
import { parseSignJob } from '../shared/messages/sign-job.js';
import type { DeliveredJob } from '../shared/queue/queue-port.js';
import type { Store } from '../shared/store/store-ports.js';
import type { ByteBudget } from './byte-budget.js';
import type { DocumentGateway } from './gateways/document-gateway.js';

/** What a document of unknown size is counted as until its size is recorded. */
export const UNKNOWN_SIZE = 8 * 1024 * 1024;

async function documentSize(request: SignRequest, documents: DocumentGateway): Promise<number> {
  const recorded = request.steps.fetch?.data.bytes;
  if (typeof recorded === 'number') return recorded;
  return (await documents.size?.(request.document).catch(() => undefined)) ?? UNKNOWN_SIZE;
}

/** The memory a job for `request` will hold at most. */
async function costOf(store: Store, documents: DocumentGateway, job: DeliveredJob): Promise<number> {
  const parsed = parseSignJob(job.body);
  if (!parsed.ok) return 0;
  const request = await store.signRequests.get(parsed.job.requestId);
  if (!request || FINAL_STATES.has(request.state) || WAITING_STATES.has(request.state)) return 0;
  if (request.state === 'approved' || request.state === 'signing') return 2 * (await documentSize(request, documents));
  if (request.state === 'signed') return documentSize(request, documents);
  return 0;
}

/** Wraps `handler` so that each job runs once its document's memory fits the budget. */
export function withByteBudget<T>(
  handler: (job: DeliveredJob) => Promise<T>,
  deps: { budget: ByteBudget; store: Store; documents: DocumentGateway },
): (job: DeliveredJob) => Promise<T> {
  return async (job) => {
    const release = await deps.budget.reserve(await costOf(deps.store, deps.documents, job));
    try {
      return await handler(job);
    } finally {
      release();
    }
  };
}
