/**
 * A workflow reaching a registered robot/activity: the POST to its HANDLER [bitrix24.md §3; core
 * `CBPRestActivity::execute()` src]. Form-encoded with bracket keys:
 * `workflow_id, code, document_id[0..2], document_type[0..2], event_token, properties[…], use_subscription,
 * timeout_duration, ts, auth[…]` (auth with the "run as" user's tokens, refresh_token and application_token).
 *
 * - The token user is `runAsUserId`, else the robot's `AUTH_USER_ID`, else the installing admin.
 * - `use_subscription`: the registration's `USE_SUBSCRIPTION`; an empty one runs as `N` (core ctor
 *   `USE_SUBSCRIPTION === 'Y' ? 'Y' : 'N'` [src]; the current docs say empty waits — they conflict).
 * - Property values are sent as given (a `user` property as `user_<ID>`); missing ones take a literal
 *   `Default`, else `''` (bizproc expressions like `{=Document:…}` are not evaluated).
 * - The step then waits (`Y`) or is closed at once (`N`); while it waits, the workflow is a running instance
 *   for `bizproc.workflow.instances` (bizproc-workflow-methods.ts).
 */
import { authBlock, unixSeconds } from './auth-block.js';
import type { EmulatorCore } from './emulator-core.js';
import { issueEventToken, newWorkflowId } from './event-token.js';
import type { PortalState, WorkflowStep } from './portal-state.js';
import { type AppResponse, postForm } from './post-form.js';

/** One robot run. */
export interface RunRobotOptions {
  /** The deal the workflow runs on. */
  dealId: number;
  /** Evaluated property values by property code; strings, or arrays for `Multiple: 'Y'`. */
  properties?: Record<string, string | number | (string | number)[]>;
  /** User whose token goes into `auth[...]`. */
  runAsUserId?: number;
  /** Overrides the registration's `USE_SUBSCRIPTION`. */
  useSubscription?: 'Y' | 'N';
  /** Seconds; 0 = wait forever. @default 0 */
  timeoutDuration?: number;
  workflowId?: string;
  /** `STARTED_BY` of the workflow instance. @default 0 (started by automation, as in the docs' example) */
  startedBy?: number;
  /** `TEMPLATE_ID` of the workflow instance. @default 1 */
  templateId?: number;
}

/** What the run sent and got back. */
export interface RobotRun {
  workflowId: string;
  eventToken: string;
  /** The decoded structure that was form-encoded. */
  sent: Record<string, unknown>;
  response: AppResponse;
}

function propertyValues(
  declared: Record<string, Record<string, unknown>>,
  given: RunRobotOptions['properties'] = {},
): Record<string, string | string[]> {
  for (const code of Object.keys(given)) {
    if (!(code in declared))
      throw new Error(`robot has no property "${code}" (declared: ${Object.keys(declared).join(', ')})`);
  }
  const out: Record<string, string | string[]> = {};
  for (const [code, descriptor] of Object.entries(declared)) {
    const value = given[code];
    if (Array.isArray(value)) out[code] = value.map(String);
    else if (value !== undefined) out[code] = String(value);
    else out[code] = literalDefault(descriptor.DEFAULT);
  }
  return out;
}

function literalDefault(value: unknown): string {
  if (typeof value !== 'string' && typeof value !== 'number') return '';
  const text = String(value);
  return text.startsWith('{=') ? '' : text;
}

/** Runs the robot/activity `code` on a deal: POSTs to its handler and opens a workflow step. */
export async function runRobot(
  core: EmulatorCore,
  portal: PortalState,
  code: string,
  options: RunRobotOptions,
): Promise<RobotRun> {
  const registration = portal.activities.get(code.toLowerCase());
  if (registration === undefined) throw new Error(`no robot or activity "${code}" is registered on ${portal.domain}`);
  if (!portal.deals.has(options.dealId)) throw new Error(`portal ${portal.domain} has no deal ${options.dealId}`);
  const userId = options.runAsUserId ?? (registration.authUserId || portal.installerUserId);
  portal.user(userId);
  const useSubscription = options.useSubscription ?? (registration.useSubscription === 'Y' ? 'Y' : 'N');
  const workflowId = options.workflowId ?? newWorkflowId();
  const eventToken = issueEventToken(portal, workflowId);
  const step: WorkflowStep = {
    workflowId,
    eventToken,
    code: registration.code,
    dealId: options.dealId,
    useSubscription,
    state: useSubscription === 'Y' ? 'waiting' : 'closed',
    closedBy: useSubscription === 'Y' ? undefined : 'no-subscription',
    returnValues: undefined,
    startedAtMs: core.now(),
    modifiedAtMs: core.now(),
    startedBy: options.startedBy ?? 0,
    templateId: options.templateId ?? 1,
  };
  portal.steps.set(eventToken, step);
  const grant = core.tokens.issue(portal.memberId, userId, portal.identity.app.clientId, portal.identity.scope);
  const sent = {
    workflow_id: workflowId,
    code: registration.code,
    document_id: ['crm', 'CCrmDocumentDeal', `DEAL_${options.dealId}`],
    document_type: ['crm', 'CCrmDocumentDeal', 'DEAL'],
    event_token: eventToken,
    properties: propertyValues(registration.properties, options.properties),
    use_subscription: useSubscription,
    timeout_duration: String(options.timeoutDuration ?? 0),
    ts: unixSeconds(core),
    auth: authBlock(core, portal, grant, { refreshToken: true }),
  };
  const response = await postForm(registration.handler, sent, { timeoutMs: core.settings.outboundTimeoutMs });
  return { workflowId, eventToken, sent, response };
}
