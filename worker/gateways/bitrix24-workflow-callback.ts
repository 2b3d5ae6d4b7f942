/**
 * The pipeline's last Bitrix24 call for a signed robot request: `bizproc.event.send` with Result=signed and
 * the other return values (finish-robot-step.ts explains why a repeat is safe and why ACCESS_DENIED means the
 * step is closed already). Requests that no workflow waits for have nothing to call.
 */
import type { SignRequest } from '../../shared/domain/sign-request.js';
import { type RobotDeps, sendStepOutcome } from '../bitrix24/finish-robot-step.js';
import type { WorkflowCallback } from './workflow-callback.js';

/** Creates the callback. */
export function bitrix24WorkflowCallback(deps: RobotDeps): WorkflowCallback {
  return {
    async completed(request: SignRequest) {
      if (!request.robot) return;
      await sendStepOutcome(deps, request, 'signed');
    },
    nothingToCall: (request) => !request.robot,
  };
}
