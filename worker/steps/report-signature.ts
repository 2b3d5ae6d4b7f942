/**
 * Step "report": "notify" (the timeline comment on a deal) and "callback" (`bizproc.event.send` to the
 * workflow) side by side. Neither needs the other's result, and started together their portal calls travel
 * in one `batch` request instead of two (reference §1.8; call-coalescer.ts). What succeeded is recorded in
 * one write: when both did, that write also completes the request (complete-request.ts), one store commit
 * instead of three; when one failed, the other is recorded on its own and the error goes to the queue, so a
 * redelivered job repeats only what is missing (both are safe to repeat: README "Idempotency of the writes").
 */
import { recordStep } from '../../shared/domain/sign-request.js';
import type { PipelineStep, SideStep } from '../pipeline-context.js';
import { callWorkflow } from './call-workflow.js';
import { saveCompleted } from './complete-request.js';
import { notifySigner } from './notify-signer.js';

const SIDE_BY_SIDE: readonly SideStep[] = [notifySigner, callWorkflow];

export const reportSignature: PipelineStep = {
  name: 'report',
  done: (request) => SIDE_BY_SIDE.every((step) => step.done(request)),
  async run(ctx, request) {
    const due = SIDE_BY_SIDE.filter((step) => !step.done(request));
    const outcomes = await Promise.allSettled(due.map((step) => step.act(ctx, request)));
    let next = request;
    for (const [i, step] of due.entries()) {
      if (outcomes[i]?.status === 'fulfilled') next = recordStep(next, step.name, { at: ctx.now(), data: {} });
    }
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (!failed) return saveCompleted(ctx, next, request);
    if (next !== request) await ctx.save(next, request);
    throw failed.reason;
  },
};
