/**
 * Which requests report inside the delivery's commit (report-signature.ts `reportWithDelivery`): only those
 * whose notice is a local log line and that no workflow waits for. A deal request's timeline comment and a
 * robot's `bizproc.event.send` reach the portal and can fail, so they must stay a step of their own after the
 * delivery is stored. The predicates are the real adapters' (the worker's composition in start-worker.ts); the
 * portal is never called here, so their Bitrix24 dependencies are not needed.
 */
import assert from 'node:assert/strict';
import type { SignRequest } from '../../shared/domain/sign-request.js';
import { createLogger } from '../../shared/logger.js';
import type { RobotDeps } from '../../worker/bitrix24/finish-robot-step.js';
import { bitrix24Notifier } from '../../worker/gateways/bitrix24-notifier.js';
import { bitrix24WorkflowCallback } from '../../worker/gateways/bitrix24-workflow-callback.js';
import { logNotifier } from '../../worker/gateways/notifier.js';
import { noWorkflowCallback } from '../../worker/gateways/workflow-callback.js';
import { makeSignRequest } from '../store/sign-request-contract.js';

const logger = createLogger({ sink: () => {} });
const fileRequest = makeSignRequest({ document: { kind: 'file', inputPath: '/in.pdf', outputPath: '/out.pdf' } });
const dealDocument: SignRequest['document'] = {
  kind: 'bitrix24',
  memberId: 'member-1',
  entityTypeId: 2,
  entityId: 7,
  fieldCode: 'UF_CRM_PDF',
  fileId: '11',
};
const dealRequest = makeSignRequest({ document: dealDocument });
const robotRequest = makeSignRequest({
  document: dealDocument,
  robot: {
    memberId: 'member-1',
    code: 'signservice_sign',
    workflowId: 'wf-1',
    eventToken: 'token',
    signerUserId: 5,
  } as SignRequest['robot'],
});

describe('which requests report with their delivery', () => {
  // Only `fallback` and `logger` are read by the predicates; the portal client is not.
  const robotDeps = { logger } as unknown as RobotDeps;
  const notifier = bitrix24Notifier({ ...robotDeps, fallback: logNotifier(logger), logger });
  const workflow = bitrix24WorkflowCallback(robotDeps);

  it('a file request: a log line and no workflow, so it may go in the delivery commit', () => {
    assert.equal(logNotifier(logger).signedLocally?.(fileRequest), true);
    assert.equal(notifier.signedLocally?.(fileRequest), true);
    assert.equal(noWorkflowCallback.nothingToCall?.(fileRequest), true);
    assert.equal(workflow.nothingToCall?.(fileRequest), true);
  });

  it("a deal request's timeline comment and a robot's workflow call reach the portal: never in that commit", () => {
    assert.equal(notifier.signedLocally?.(dealRequest), false);
    assert.equal(notifier.signedLocally?.(robotRequest), false);
    assert.equal(workflow.nothingToCall?.(dealRequest), true, 'the Sign button: no workflow waits');
    assert.equal(workflow.nothingToCall?.(robotRequest), false);
  });
});
