/**
 * Step "deliver": puts the signed bytes recorded by the sign step where the document goes (the output
 * file, later the Bitrix24 deal), reading them back from the BlobStore and checking their hash, so a
 * redelivered job delivers exactly what was signed. The gateways' delivery is idempotent. The delivery is
 * recorded in the same store commit as the sign log entry (log-signature.ts: one transaction, one fsync
 * instead of two): a crash before that commit leaves neither, and the redelivered job delivers the same bytes
 * again and logs; a crash after it leaves both. For a file request the report (a log line, no workflow) and
 * the completion go in that commit too (report-signature.ts `reportWithDelivery`): 3 worker commits, not 4.
 */
import { recordStep, transition } from '../../shared/domain/sign-request.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { type PipelineStep, signedBlobKey } from '../pipeline-context.js';
import { afterCompleted } from './complete-request.js';
import { sha256Hex } from './fetch-document.js';
import { saveLogged } from './log-signature.js';
import { reportWithDelivery } from './report-signature.js';

export const deliverDocument: PipelineStep = {
  name: 'deliver',
  done: (request) => request.steps.deliver !== undefined,
  async run(ctx, request) {
    const signedSha256 = request.signedSha256;
    if (!signedSha256)
      throw new AppError(ErrorCode.INTERNAL, `sign request ${request.id} has nothing signed to deliver`);
    // Signed in this run: the bytes are in memory and their hash was just computed. Otherwise (a resumed job)
    // read them back from the blob store and check them.
    const fresh = ctx.signed?.sha256 === signedSha256 ? ctx.signed.bytes : undefined;
    const blobKey = signedBlobKey(request.id, signedSha256);
    const bytes = fresh ?? (await ctx.deps.store.blobs.get(blobKey));
    if (!bytes || (!fresh && sha256Hex(bytes) !== signedSha256)) {
      // Not retried into success: the signed bytes are gone, the request fails after its attempts and can be
      // submitted again. Never re-sign here: the recorded hash is the one the sign log will name.
      throw new AppError(
        ErrorCode.INTERNAL,
        `The signed document of sign request ${request.id} is ${bytes ? 'damaged' : 'missing'} in the blob store`,
      );
    }
    // The blob holds these very bytes (put before the signature was recorded; its key names their hash).
    const copyOf = ctx.deps.store.blobs.localFile?.(blobKey);
    const facts = await ctx.deps.documents.deliver(request.document, bytes, {
      ...(copyOf ? { copyOf } : {}),
      resumed: !fresh,
    });
    const at = ctx.now();
    ctx.log.info({ step: 'deliver', ...facts }, 'signed document delivered');
    const delivered = transition(recordStep(request, 'deliver', { at, data: facts }), 'delivered', at);
    const complete = await reportWithDelivery(ctx, delivered);
    const saved = await saveLogged(ctx, delivered, request, complete);
    return saved.state === 'completed' ? afterCompleted(ctx, saved) : saved;
  },
};
