/**
 * The last step of a robot request: telling the Bitrix24 workflow the outcome (`bizproc.event.send`), so the
 * business process continues. Requests without a workflow (local files, the Sign button) have nothing to call.
 */
import type { SignRequest } from '../../shared/domain/sign-request.js';

export interface WorkflowCallback {
  /** Reports the outcome; idempotent per request. A permanent refusal (event token expired) is a permanent error. */
  completed(request: SignRequest): Promise<void>;
  /** True when no workflow waits for `request`, so `completed` does nothing (see Notifier.signedLocally). */
  nothingToCall?(request: SignRequest): boolean;
}

/** For requests that no workflow waits for. */
export const noWorkflowCallback: WorkflowCallback = {
  async completed() {},
  nothingToCall: () => true,
};
