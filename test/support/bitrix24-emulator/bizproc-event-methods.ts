/**
 * Returning to the workflow: `bizproc.event.send` and `bizproc.activity.log` [bitrix24.md §4.1, §4.2].
 *
 * - "Who can execute: any user"; the token is the capability, only its signature is checked [src].
 * - An invalid token → `403 ACCESS_DENIED "Access denied!"` [doc].
 * - The first `event.send` closes the step. A repeated one is [UNCONFIRMED] in the reference (likely `true`
 *   with no effect, or a runtime error); the emulator answers the documented ACCESS_DENIED by default and can
 *   be told to answer `true` (`usedEventToken: 'ignore'`). A step of a `USE_SUBSCRIPTION=N` robot closed at
 *   dispatch, so it behaves like a used token ("only works when the step runs with USE_SUBSCRIPTION='Y'").
 * - RETURN_VALUES keys match RETURN_PROPERTIES case-insensitively; unknown keys are dropped [src].
 * - Every call is recorded, accepted or not, for `eventSendCalls()`.
 */
import { verifyEventToken } from './event-token.js';
import type { EventSendCall, WorkflowStep } from './portal-state.js';
import { asRecord, asText, badRequest, type CallContext, type MethodTable, param } from './rest-context.js';
import { restErrors } from './rest-errors.js';

function stepOf(ctx: CallContext, token: string): WorkflowStep | undefined {
  if (token === '' || !verifyEventToken(ctx.portal, token)) return undefined;
  return ctx.portal.steps.get(token);
}

function matchReturnValues(ctx: CallContext, step: WorkflowStep | undefined, values: Record<string, unknown>) {
  const declared = step === undefined ? undefined : ctx.portal.activities.get(step.code.toLowerCase());
  const out: Record<string, unknown> = {};
  if (declared === undefined) return out;
  for (const code of Object.keys(declared.returnProperties)) {
    const key = Object.keys(values).find((candidate) => candidate.toLowerCase() === code.toLowerCase());
    if (key !== undefined) out[code] = values[key];
  }
  return out;
}

function sendEvent(ctx: CallContext): true {
  const token = asText(param(ctx.params, 'EVENT_TOKEN'));
  const returnValues = asRecord(param(ctx.params, 'RETURN_VALUES')) ?? {};
  const step = stepOf(ctx, token);
  const call: EventSendCall = {
    atMs: ctx.core.now(),
    userId: ctx.user.id,
    eventToken: token,
    returnValues,
    matchedReturnValues: matchReturnValues(ctx, step, returnValues),
    logMessage: asText(param(ctx.params, 'LOG_MESSAGE')),
    accepted: false,
    error: undefined,
    workflowId: step?.workflowId,
  };
  ctx.portal.eventSends.push(call);
  const used = step !== undefined && step.state === 'closed';
  if (step === undefined || (used && ctx.core.settings.usedEventToken === 'error')) {
    call.error = 'ACCESS_DENIED';
    throw restErrors.accessDenied('Access denied!');
  }
  if (used) return true;
  step.state = 'closed';
  step.closedBy = 'event';
  step.returnValues = call.matchedReturnValues;
  call.accepted = true;
  return true;
}

function writeLog(ctx: CallContext): true {
  const token = asText(param(ctx.params, 'EVENT_TOKEN'));
  const message = asText(param(ctx.params, 'LOG_MESSAGE'));
  if (message.trim() === '') throw badRequest('ERROR_EMPTY_LOG_MESSAGE', 'Empty log message!');
  const step = stepOf(ctx, token);
  if (step === undefined) throw restErrors.accessDenied('Access denied!');
  ctx.portal.activityLogs.push({
    atMs: ctx.core.now(),
    userId: ctx.user.id,
    eventToken: token,
    message,
    workflowId: step.workflowId,
  });
  return true;
}

/** The workflow-return methods. */
export const bizprocEventMethods: MethodTable = {
  'bizproc.event.send': { scopes: ['bizproc'], run: (ctx) => ({ result: sendEvent(ctx) }) },
  'bizproc.activity.log': { scopes: ['bizproc'], run: (ctx) => ({ result: writeLog(ctx) }) },
};
