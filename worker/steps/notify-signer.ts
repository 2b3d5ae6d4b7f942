/** Step "notify": tells the people concerned that the document is signed (Notifier port). */
import { recordStep } from '../../shared/domain/sign-request.js';
import type { PipelineStep } from '../pipeline-context.js';

export const notifySigner: PipelineStep = {
  name: 'notify',
  done: (request) => request.steps.notify !== undefined,
  async run(ctx, request) {
    await ctx.deps.notifier.signed(request);
    return ctx.save(recordStep(request, 'notify', { at: ctx.now(), data: {} }), request);
  },
};
