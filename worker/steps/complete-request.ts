/**
 * The end: the request becomes `completed`, and the signed blob, now delivered and named in the sign log
 * by its hash, is removed from the BlobStore (best effort: a leftover blob is only disk space). A fresh run
 * gets here from the report step, which stores its own records and `completed` in one write
 * (report-signature.ts); the step itself runs when a resumed request has its report recorded but is not
 * completed yet.
 */
import { type SignRequest, transition } from '../../shared/domain/sign-request.js';
import { type PipelineContext, type PipelineStep, signedBlobKey } from '../pipeline-context.js';

/**
 * Stores `next` (the stored request `from` with the last steps recorded on it) as `completed` in one
 * compare-and-set, then removes the delivered blob.
 */
export async function saveCompleted(ctx: PipelineContext, next: SignRequest, from: SignRequest): Promise<SignRequest> {
  return afterCompleted(ctx, await ctx.save(transition(next, 'completed', ctx.now()), from));
}

/** What follows a stored completion: the delivered blob goes (best effort), and a log line. */
export async function afterCompleted(ctx: PipelineContext, saved: SignRequest): Promise<SignRequest> {
  if (saved.signedSha256) {
    await ctx.deps.store.blobs.delete(signedBlobKey(saved.id, saved.signedSha256)).catch((error: unknown) => {
      ctx.log.warn({ error }, 'could not remove the delivered blob');
    });
  }
  ctx.log.info({ step: 'complete' }, 'sign request completed');
  return saved;
}

export const completeRequest: PipelineStep = {
  name: 'complete',
  done: (request) => request.state === 'completed',
  run: (ctx, request) => saveCompleted(ctx, request, request),
};
