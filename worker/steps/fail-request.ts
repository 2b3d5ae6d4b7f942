/**
 * When a request cannot succeed (a permanent error, or a transient one on the last attempt): it becomes
 * `failed` with the error's code and message, the sign log gets one 'failed' entry (`failed:<requestId>`)
 * and the notifier is told. Compare-and-set like every step: if the request moved meanwhile it is reloaded,
 * and a request that reached a final state is left alone.
 */
import { FINAL_STATES, type SignRequest, transition } from '../../shared/domain/sign-request.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import type { PipelineContext } from '../pipeline-context.js';

/** The failure as stored on the request: a code from ErrorCode and a message for the person who can act. */
export function failureOf(error: unknown): { code: string; message: string } {
  const appError = AppError.from(error);
  // Unexpected errors keep their detail in the log; the request says only that something went wrong inside.
  const message = error instanceof AppError ? appError.message : 'an internal error occurred (see the worker log)';
  return { code: appError.code, message };
}

/** Marks the request failed; returns it as stored (or as found, when it was final already). */
export async function failRequest(
  ctx: PipelineContext,
  requestId: string,
  error: unknown,
): Promise<SignRequest | undefined> {
  const { store, notifier } = ctx.deps;
  const failure = failureOf(error);
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await store.signRequests.get(requestId);
    if (!current || FINAL_STATES.has(current.state)) return current;
    const at = ctx.now();
    const failed = transition(current, 'failed', at, { failure });
    const changed = await store.transaction(async () => {
      if (!(await store.signRequests.update(failed, current.version))) return false;
      await store.signLog.appendOnce(
        {
          time: at,
          action: 'failed',
          actor: { accountId: current.accountId, role: 'system' },
          outcome: 'error',
          requestId,
          details: {
            code: failure.code,
            certId: current.certId,
            state: current.state,
            ...(current.batchId ? { batchId: current.batchId } : {}),
          },
        },
        `failed:${requestId}`,
      );
      return true;
    });
    if (!changed) continue;
    const stored = { ...failed, version: current.version + 1 };
    ctx.log.warn({ failure, previousState: current.state }, 'sign request failed');
    await notifier.failed(stored).catch((e: unknown) => ctx.log.error({ error: e }, 'failure notice not sent'));
    return stored;
  }
  throw new AppError(ErrorCode.INTERNAL, `sign request ${requestId} kept changing while it was being marked failed`);
}
