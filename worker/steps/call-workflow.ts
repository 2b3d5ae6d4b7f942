/** Step "callback": reports the outcome to the workflow waiting for it (WorkflowCallback port; none for files). */
import type { SideStep } from '../pipeline-context.js';

export const callWorkflow: SideStep = {
  name: 'callback',
  done: (request) => request.steps.callback !== undefined,
  act: (ctx, request) => ctx.deps.workflow.completed(request),
  local: (ctx, request) => ctx.deps.workflow.nothingToCall?.(request) === true,
};
