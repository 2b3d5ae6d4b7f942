/**
 * The REST methods an emulated portal serves, and the checks every call passes before its handler runs:
 * unknown method → `404 ERROR_METHOD_NOT_FOUND`; the app lacks the method's scope → `insufficient_scope`;
 * admin-only method called by a non-admin → `403 ACCESS_DENIED "Access denied!"` [bitrix24.md §1.6, §2, §5.1].
 */
import { appEventMethods } from './app-event-methods.js';
import { runBatch } from './batch-method.js';
import { bizprocEventMethods } from './bizproc-event-methods.js';
import { bizprocRegistrationMethods } from './bizproc-registration-methods.js';
import { bizprocWorkflowMethods } from './bizproc-workflow-methods.js';
import { crmItemMethods } from './crm-item-methods.js';
import { downloadFile, FILE_DOWNLOAD_METHOD } from './deal-files.js';
import { placementMethods } from './placement-methods.js';
import { type CallContext, type MethodOutcome, type MethodTable, requireAdmin } from './rest-context.js';
import { restErrors } from './rest-errors.js';
import { timelineNotifyMethods } from './timeline-notify-methods.js';
import { userMethods } from './user-methods.js';

/** Every method, by lower-case name. */
export const restMethods: MethodTable = {
  ...userMethods,
  ...crmItemMethods,
  ...timelineNotifyMethods,
  ...bizprocRegistrationMethods,
  ...bizprocEventMethods,
  ...bizprocWorkflowMethods,
  ...placementMethods,
  ...appEventMethods,
  batch: { scopes: 'basic', notInBatch: true, run: (ctx) => runBatch(ctx, callMethod) },
  // The `urlMachine` download controller; a REST URL, so it passes the same auth, limits and faults.
  [FILE_DOWNLOAD_METHOD]: { scopes: ['crm'], notInBatch: true, run: downloadFile },
};

/** Runs one method with its scope and admin checks; handlers throw `RestError` for error answers. */
export function callMethod(method: string, ctx: CallContext): MethodOutcome {
  const spec = Object.hasOwn(restMethods, method) ? restMethods[method] : undefined;
  if (spec === undefined) throw restErrors.methodNotFound();
  if (spec.notInBatch && ctx.inBatch === true) throw restErrors.batchMethodNotAllowed();
  if (spec.scopes !== 'basic' && !spec.scopes.some((scope) => ctx.grant.scope.includes(scope))) {
    throw restErrors.insufficientScope();
  }
  if (spec.adminOnly === true) requireAdmin(ctx);
  return spec.run(ctx);
}
