/** How sign requests print for `signservice request status` (text for people, JSON for scripts). */
import type { SignRequest, StepName } from '../domain/sign-request.js';

const STEP_ORDER: StepName[] = ['authorize', 'fetch', 'sign', 'deliver', 'log', 'notify', 'callback'];

/** The request as JSON-ready data (dates ISO). */
export function requestJson(request: SignRequest): Record<string, unknown> {
  return JSON.parse(JSON.stringify(request)) as Record<string, unknown>;
}

function documentText(request: SignRequest): string[] {
  const d = request.document;
  if (d.kind === 'file') return [`Input:        ${d.inputPath}`, `Output:       ${d.outputPath}`];
  return [`Document:     Bitrix24 ${d.memberId}, entity ${d.entityTypeId}/${d.entityId}, file ${d.fileId}`];
}

/** One request in detail: state, where the document goes, and each finished step with its time. */
export function describeRequest(request: SignRequest, login: string | undefined): string {
  const p = request.placement;
  const lines = [
    `Request:      ${request.id}`,
    `State:        ${request.state}${request.failure ? ` (${request.failure.code}: ${request.failure.message})` : ''}`,
    `Account:      ${login ?? request.accountId}`,
    `Certificate:  ${request.certId}`,
    `Route:        ${request.route}`,
    ...documentText(request),
    `Stamp:        ${p.visible ? `visible, page ${p.page}, ${p.position}` : `invisible, page ${p.page}`}`,
    ...(request.reason ? [`Reason:       ${request.reason}`] : []),
    ...(request.batchId ? [`Batch:        ${request.batchId}`] : []),
    `Created:      ${request.createdAt.toISOString()}`,
    `Updated:      ${request.updatedAt.toISOString()}`,
    ...(request.inputSha256 ? [`Input SHA-256:  ${request.inputSha256}`] : []),
    ...(request.signedSha256 ? [`Signed SHA-256: ${request.signedSha256}`] : []),
    'Steps:',
  ];
  for (const name of STEP_ORDER) {
    const step = request.steps[name];
    const facts = step
      ? Object.entries(step.data)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')
      : '';
    lines.push(`  ${name.padEnd(10)} ${step ? `${step.at.toISOString()}  ${facts}`.trimEnd() : '-'}`);
  }
  return lines.join('\n');
}
