/**
 * Deal file fields: how `crm.item.get` shows them, how `crm.item.update` changes them, and the signed
 * `urlMachine` download link [bitrix24.md §6.1, §6.2; doc `api-reference/files/how-to-update-files.md`,
 * `how-to-download-files.md`].
 *
 * - Shown as `{id, url, urlMachine}`; a multiple field as a list of those. `url` is the browser link (it needs
 *   a logged-in browser session, so a server client gets an HTML page); `urlMachine` is
 *   `<portal>/rest/crm.controller.item.getFile.json?auth=<caller's access token>&token=crm|<signed>`.
 * - Update, single field: `["name", "<base64>"]` uploads and deletes the old file; `{id: current}` keeps it;
 *   a different `id` or an empty value clears the field (the old file is deleted).
 * - Update, multiple field: the request is the whole new list; `{id}` keeps a file, `[name, b64]` adds one,
 *   every file whose id is missing is deleted.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { portalBaseUrl } from './emulator-core.js';
import type { Deal, PortalState, UserField } from './portal-state.js';
import { asId, asRecord, asText, badRequest, type CallContext, type RawAnswer } from './rest-context.js';
import { RestError, restErrors } from './rest-errors.js';

/** Path of the download controller under the portal (the REST method name `crm.controller.item.getFile`). */
export const FILE_DOWNLOAD_METHOD = 'crm.controller.item.getfile';

interface FileLinkClaims {
  dealId: number;
  fieldName: string;
  fileId: number;
}

/** The value of a file field as `crm.item.get` returns it. Empty: `null` (single) or `[]` (multiple). */
export function renderFileField(ctx: CallContext, deal: Deal, field: UserField): unknown {
  const ids = deal.files.get(field.fieldName) ?? [];
  const values = ids.map((fileId) => renderFile(ctx, deal, field.fieldName, fileId));
  return field.multiple ? values : (values[0] ?? null);
}

function renderFile(ctx: CallContext, deal: Deal, fieldName: string, fileId: number): Record<string, unknown> {
  const base = portalBaseUrl(ctx.core, ctx.portal);
  const browser = new URLSearchParams({
    action: 'crm.controller.item.getFile',
    SITE_ID: 's1',
    entityTypeId: '2',
    id: String(deal.id),
    fieldName,
    fileId: String(fileId),
  });
  const token = signFileLink(ctx.portal, { dealId: deal.id, fieldName, fileId });
  const machine = new URLSearchParams({ auth: ctx.grant.accessToken, token });
  return {
    id: fileId,
    url: `${base}/bitrix/services/main/ajax.php?${browser}`,
    urlMachine: `${base}/rest/crm.controller.item.getFile.json?${machine}`,
  };
}

/** `crm|<base64url claims>.<HMAC>` like the docs' `token=crm|…` links. */
function signFileLink(portal: PortalState, claims: FileLinkClaims): string {
  const body = `crm|${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const mac = createHmac('sha256', portal.signingSecret).update(body).digest('base64url');
  return `${body}.${mac}`;
}

function verifyFileLink(portal: PortalState, token: string): FileLinkClaims | undefined {
  const dot = token.lastIndexOf('.');
  if (dot < 0) return undefined;
  const body = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1));
  const expected = Buffer.from(createHmac('sha256', portal.signingSecret).update(body).digest('base64url'));
  if (given.length !== expected.length || !timingSafeEqual(given, expected) || !body.startsWith('crm|'))
    return undefined;
  return JSON.parse(Buffer.from(body.slice(4), 'base64url').toString('utf8')) as FileLinkClaims;
}

/**
 * Serves a `urlMachine` download. The REST router has already checked `auth` (a valid, unexpired access token
 * of this portal); here the signed token must verify and the file must still be in that deal field.
 */
export function downloadFile(ctx: CallContext): { raw: RawAnswer } {
  const claims = verifyFileLink(ctx.portal, asText(ctx.params.token));
  if (claims === undefined) throw restErrors.accessDenied('Access denied! Invalid file token');
  const deal = ctx.portal.deals.get(claims.dealId);
  const attached = deal?.files.get(claims.fieldName)?.includes(claims.fileId) ?? false;
  const file = ctx.portal.files.get(claims.fileId);
  if (!attached || file === undefined || file.deleted) throw new RestError(404, 'NOT_FOUND', 'File not found');
  const encoded = encodeURIComponent(file.name);
  return {
    raw: {
      status: 200,
      headers: {
        'Content-Type': file.name.toLowerCase().endsWith('.pdf') ? 'application/pdf' : 'application/octet-stream',
        // The plain filename must stay ASCII (a header cannot carry other bytes); filename* has the real name [RFC 6266 §4.3].
        'Content-Disposition': `attachment; filename="${file.name.replace(/["\\\r\n]|[^\x20-\x7e]/g, '_')}"; filename*=utf-8''${encoded}`,
        'Content-Length': String(file.bytes.length),
      },
      body: file.bytes,
    },
  };
}

/** Applies one file-field value of a `crm.item.update` request; `key` is the field name as the client sent it. */
export function updateFileField(portal: PortalState, deal: Deal, field: UserField, value: unknown, key: string): void {
  const current = deal.files.get(field.fieldName) ?? [];
  const next = field.multiple ? nextMultiple(portal, current, value, key) : nextSingle(portal, current, value, key);
  for (const id of current) {
    const file = portal.files.get(id);
    if (!next.includes(id) && file !== undefined) file.deleted = true;
  }
  deal.files.set(field.fieldName, next);
}

function nextSingle(portal: PortalState, current: number[], value: unknown, key: string): number[] {
  if (isEmptyValue(value)) return [];
  // A one-element list around the value is how a form-encoded single value often arrives; unwrap it.
  const item = Array.isArray(value) && value.length === 1 && typeof value[0] !== 'string' ? value[0] : value;
  return fileItemIds(portal, current, item, key);
}

function nextMultiple(portal: PortalState, current: number[], value: unknown, key: string): number[] {
  if (isEmptyValue(value)) return [];
  if (!Array.isArray(value) || isUploadPair(value)) {
    const got = Array.isArray(value) ? 'a file pair' : typeof value;
    throw badRequest('100', `Expected iterable value for multiple field, but got ${got} instead`);
  }
  const ids: number[] = [];
  for (const item of value)
    for (const id of fileItemIds(portal, current, item, key)) if (!ids.includes(id)) ids.push(id);
  return ids;
}

/** `{id}` keeps a current file (an id not in the field keeps nothing); `[name, base64]` uploads a new one. */
function fileItemIds(portal: PortalState, current: number[], item: unknown, key: string): number[] {
  if (isUploadPair(item)) {
    const [name, content] = item as [string, string];
    return [portal.addFile(name, decodeBase64(content, key)).id];
  }
  const record = asRecord(item);
  const id = record === undefined ? undefined : asId(record.id ?? record.ID);
  if (id === undefined) throw badRequest('CRM_FIELD_ERROR_VALUE_NOT_VALID', `Invalid value for field "${key}"`);
  return current.includes(id) ? [id] : [];
}

function isUploadPair(value: unknown): boolean {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string';
}

function isEmptyValue(value: unknown): boolean {
  return value === '' || value === null || value === false || (Array.isArray(value) && value.length === 0);
}

function decodeBase64(content: string, key: string): Buffer {
  const compact = content.replace(/\s+/g, '');
  if (compact === '' || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) {
    throw badRequest('CRM_FIELD_ERROR_VALUE_NOT_VALID', `Invalid value for field "${key}"`);
  }
  return Buffer.from(compact, 'base64');
}
