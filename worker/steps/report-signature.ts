/**
 * Step "report": "notify" (the timeline comment on a deal) and "callback" (`bizproc.event.send` to the
 * workflow) side by side. Neither needs the other's result, and started together their portal calls travel
 * in one `batch` request instead of two (reference §1.8; call-coalescer.ts). What succeeded is recorded in
 * one write: when both did, that write also completes the request (complete-request.ts), one store commit
 * instead of three; when one failed, the other is recorded on its own and the error goes to the queue, so a
 * redelivered job repeats only what is missing (both are safe to repeat: README "Idempotency of the writes").
 * When both are local for the request (a file request: a log line, no workflow), they go with the delivery
 * instead (`reportWithDelivery`), and this step finds them done.
 */
import { recordStep, type SignRequest, transition } from '../../shared/domain/sign-request.js';
import type { PipelineContext, PipelineStep, SideStep } from '../pipeline-context.js';
import { callWorkflow } from './call-workflow.js';
import { saveCompleted } from './complete-request.js';
import { notifySigner } from './notify-signer.js';

const SIDE_BY_SIDE: readonly SideStep[] = [notifySigner, callWorkflow];

/** `request` with `done` recorded as acted upon now. */
function recordActed(ctx: PipelineContext, request: SignRequest, done: readonly SideStep[]): SignRequest {
  const at = ctx.now();
  return done.reduce((next, step) => recordStep(next, step.name, { at, data: {} }), request);
}

/**
 * When every side step still due is local for `request` (nothing outside can fail), acts them now and returns
 * what records them and completes the request, for the delivery's own store commit (deliver-document.ts): one
 * commit fewer per file request. Undefined when one reaches out (a deal's timeline, a workflow): the report step
 * then runs once the delivery is stored. Acting before that commit is safe: a failed commit repeats the job,
 * and the side steps may be repeated.
 */
export async function reportWithDelivery(
  ctx: PipelineContext,
  request: SignRequest,
): Promise<((logged: SignRequest) => SignRequest) | undefined> {
  const due = SIDE_BY_SIDE.filter((step) => !step.done(request));
  if (!due.every((step) => step.local(ctx, request))) return undefined;
  for (const step of due) await step.act(ctx, request);
  return (logged) => transition(recordActed(ctx, logged, due), 'completed', ctx.now());
}

export const reportSignature: PipelineStep = {
  name: 'report',
  done: (request) => SIDE_BY_SIDE.every((step) => step.done(request)),
  async run(ctx, request) {
    const due = SIDE_BY_SIDE.filter((step) => !step.done(request));
    const outcomes = await Promise.allSettled(due.map((step) => step.act(ctx, request)));
    const next = recordActed(
      ctx,
      request,
      due.filter((_, i) => outcomes[i]?.status === 'fulfilled'),
    );
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (!failed) return saveCompleted(ctx, next, request);
    if (next !== request) await ctx.save(next, request);
    throw failed.reason;
  },
};
