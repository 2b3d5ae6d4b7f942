/** Step "callback": reports the outcome to the workflow waiting for it (WorkflowCallback port; none for files). */
import { recordStep } from '../../shared/domain/sign-request.js';
import type { PipelineStep } from '../pipeline-context.js';

export const callWorkflow: PipelineStep = {
  name: 'callback',
  done: (request) => request.steps.callback !== undefined,
  async run(ctx, request) {
    await ctx.deps.workflow.completed(request);
    return ctx.save(recordStep(request, 'callback', { at: ctx.now(), data: {} }), request);
  },
};
