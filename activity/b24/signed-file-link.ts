/**
 * Where the person opens the signed file after the dialog: the deal field's current file as `crm.item.get`
 * shows it (`url`, the browser link that works in the person's Bitrix24 session, reference §6.1) — the file
 * the delivery step recorded when it says so, else the field's last file — or, when the portal cannot be
 * asked, the deal card. Looked up once per request and remembered (a few hundred entries at most).
 */
import type { SignRequest } from '../../shared/domain/sign-request.js';
import type { B24UiDeps } from './b24-ui-deps.js';
import { fileValues } from './deal-file-choices.js';

const remembered = new Map<string, string>();
const MAX_REMEMBERED = 500;

function remember(id: string, link: string): string {
  if (remembered.size >= MAX_REMEMBERED) remembered.delete(remembered.keys().next().value as string);
  remembered.set(id, link);
  return link;
}

/** The delivered file's id, when the delivery step recorded one (`fileId` / `signedFileId`). */
function deliveredFileId(request: SignRequest): string | undefined {
  const data = request.steps.deliver?.data ?? {};
  const id = data.signedFileId ?? data.fileId;
  return id === undefined ? undefined : String(id);
}

/** The link of a completed Bitrix24 request's signed file (undefined for other documents). */
export async function signedFileLink(deps: B24UiDeps, request: SignRequest): Promise<string | undefined> {
  const doc = request.document;
  if (doc.kind !== 'bitrix24') return undefined;
  const known = remembered.get(request.id);
  if (known) return known;
  const portal = await deps.store.portals.get(doc.memberId);
  const dealCard = portal ? `https://${portal.domain}/crm/deal/details/${doc.entityId}/` : undefined;
  try {
    const answer = await deps.b24.client.call<{ item?: Record<string, unknown> }>(doc.memberId, 'crm.item.get', {
      entityTypeId: doc.entityTypeId,
      id: doc.entityId,
      useOriginalUfNames: 'Y',
    });
    const files = fileValues(answer.result.item?.[doc.fieldCode]);
    const wanted = deliveredFileId(request);
    const file = files.find((f) => f.id === wanted) ?? files.at(-1);
    if (file?.url) return remember(request.id, file.url);
  } catch (error) {
    deps.logger.warn({ requestId: request.id, error }, 'signed file link: the deal could not be read');
  }
  return dealCard;
}
