/**
 * Where a batch stands, for the pages that follow several requests at once (the approval page's batch
 * progress, the Sign dialog with several files): per request its state, its failure and, once completed, the
 * link to the signed file (signed-file-link.ts, looked up once per request); how many are done; and a `mark`
 * that changes whenever any request's state does. A page long-polls with the mark it last saw (one poll for
 * the whole batch, within the per-page limit of poll-slots.ts) and gets an answer as soon as anything moved.
 */
import { createHash } from 'node:crypto';
import { FINAL_STATES, type SignRequest } from '../../shared/domain/sign-request.js';
import type { B24UiDeps } from './b24-ui-deps.js';
import { waitForChange } from './request-long-poll.js';
import { signedFileLink } from './signed-file-link.js';

export interface BatchItem {
  id: string;
  state: string;
  failure?: { code: string; message: string };
  signedFileUrl?: string;
}

export interface BatchProgress {
  total: number;
  /** Requests in a final state. */
  done: number;
  completed: number;
  /** Final but not completed (failed, rejected, expired). */
  failed: number;
  mark: string;
  items: BatchItem[];
}

/** A short digest of every request's state, in the order given. */
export function progressMark(requests: readonly SignRequest[]): string {
  const states = requests.map((r) => `${r.id}:${r.state}`).join('\n');
  return createHash('sha256').update(states, 'utf8').digest('base64url').slice(0, 16);
}

const allFinal = (requests: readonly SignRequest[]) => requests.every((r) => FINAL_STATES.has(r.state));

/** Loads until the mark differs from `after` or everything is final (at most one long poll). */
export function waitForBatchChange(
  load: () => Promise<SignRequest[]>,
  after: string,
  signal: AbortSignal,
): Promise<SignRequest[]> {
  return waitForChange(load, (requests) => progressMark(requests) !== after || allFinal(requests), signal);
}

/** The progress of `requests` as the pages' scripts read it. */
export async function batchProgress(deps: B24UiDeps, requests: readonly SignRequest[]): Promise<BatchProgress> {
  const items = await Promise.all(
    requests.map(async (r): Promise<BatchItem> => {
      const link = r.state === 'completed' ? await signedFileLink(deps, r) : undefined;
      return {
        id: r.id,
        state: r.state,
        ...(r.failure ? { failure: r.failure } : {}),
        ...(link ? { signedFileUrl: link } : {}),
      };
    }),
  );
  const done = requests.filter((r) => FINAL_STATES.has(r.state)).length;
  const completed = requests.filter((r) => r.state === 'completed').length;
  return { total: requests.length, done, completed, failed: done - completed, mark: progressMark(requests), items };
}
