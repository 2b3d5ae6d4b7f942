/**
 * The end: the request becomes `completed`, and the signed blob, now delivered and named in the sign log
 * by its hash, is removed from the BlobStore (best effort: a leftover blob is only disk space).
 */
import { transition } from '../../shared/domain/sign-request.js';
import { type PipelineStep, signedBlobKey } from '../pipeline-context.js';

export const completeRequest: PipelineStep = {
  name: 'complete',
  done: (request) => request.state === 'completed',
  async run(ctx, request) {
    const saved = await ctx.save(transition(request, 'completed', ctx.now()), request);
    if (saved.signedSha256) {
      await ctx.deps.store.blobs.delete(signedBlobKey(saved.id, saved.signedSha256)).catch((error: unknown) => {
        ctx.log.warn({ error }, 'could not remove the delivered blob');
      });
    }
    ctx.log.info({ step: 'complete' }, 'sign request completed');
    return saved;
  },
};
