/**
 * Step "report": "notify" (the timeline comment on a deal) and "callback" (`bizproc.event.send` to the
 * workflow) side by side. Neither needs the other's result, and started together their portal calls travel
 * in one `batch` request instead of two (reference §1.8; call-coalescer.ts). Each is recorded on its own once
 * it succeeded, notify first, as when they ran one after the other, so a crash or a failure of one leaves the
 * other recorded and a redelivered job repeats only what is missing (both are safe to repeat: README
 * "Idempotency of the writes").
 */
import { recordStep } from '../../shared/domain/sign-request.js';
import type { PipelineStep, SideStep } from '../pipeline-context.js';
import { callWorkflow } from './call-workflow.js';
import { notifySigner } from './notify-signer.js';

const SIDE_BY_SIDE: readonly SideStep[] = [notifySigner, callWorkflow];

export const reportSignature: PipelineStep = {
  name: 'report',
  done: (request) => SIDE_BY_SIDE.every((step) => step.done(request)),
  async run(ctx, request) {
    const due = SIDE_BY_SIDE.filter((step) => !step.done(request));
    const outcomes = await Promise.allSettled(due.map((step) => step.act(ctx, request)));
    let saved = request;
    for (const [i, step] of due.entries()) {
      if (outcomes[i]?.status !== 'fulfilled') continue;
      saved = await ctx.save(recordStep(saved, step.name, { at: ctx.now(), data: {} }), saved);
    }
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
    return saved;
  },
};
