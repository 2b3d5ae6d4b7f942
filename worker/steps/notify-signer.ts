/** Step "notify": tells the people concerned that the document is signed (Notifier port). */
import type { SideStep } from '../pipeline-context.js';

export const notifySigner: SideStep = {
  name: 'notify',
  done: (request) => request.steps.notify !== undefined,
  act: (ctx, request) => ctx.deps.notifier.signed(request),
  local: (ctx, request) => ctx.deps.notifier.signedLocally?.(request) === true,
};
