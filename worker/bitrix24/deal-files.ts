/**
 * Reading a deal's file fields (reference §6.1): `crm.item.get {entityTypeId: 2, id, useOriginalUfNames: 'Y'}`
 * keeps the `UF_CRM_…` names; a file field holds `{id, url, urlMachine}`, a multiple one a list of them, an
 * empty single one null. `urlMachine` is the signed REST link for server-side downloads (it carries a token:
 * never logged).
 */
import type { Bitrix24App } from '../../shared/bitrix24/bitrix24-app.js';
import type { DealRead } from '../../shared/bitrix24/deal-reads.js';
import { AppError, ErrorCode } from '../../shared/errors.js';

export { DEAL_ENTITY_TYPE_ID } from '../../shared/bitrix24/deal-reads.js';

export interface DealFile {
  id: string;
  /** The signed download link; may be relative to the portal. */
  urlMachine: string;
}

export interface FileField {
  code: string;
  multiple: boolean;
  files: DealFile[];
}

/**
 * The deal as read by a `crm.item.get` issued at `since` or later (shared with other readers of the deal,
 * shared/bitrix24/deal-reads.ts); a deal that does not exist is DOCUMENT_MISSING.
 */
export async function readDeal(b24: Bitrix24App, memberId: string, dealId: number, since: number): Promise<DealRead> {
  try {
    return await b24.deals.read(memberId, dealId, since);
  } catch (error) {
    if (error instanceof AppError && error.details?.b24Error === 'NOT_FOUND') {
      throw new AppError(ErrorCode.DOCUMENT_MISSING, `Deal ${dealId} does not exist (any more) on the portal`, {
        cause: error,
      });
    }
    throw error;
  }
}

function asFile(value: unknown): DealFile | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  const link = v.urlMachine ?? v.downloadUrl;
  if (v.id === undefined || typeof link !== 'string') return undefined;
  return { id: String(v.id), urlMachine: link };
}

/** The field `code` of `item` read as a file field, or undefined when its value is not one. */
export function fileFieldOf(item: Record<string, unknown>, code: string): FileField | undefined {
  if (!(code in item)) return undefined;
  const value = item[code];
  if (value === null || value === '' || value === false) return { code, multiple: false, files: [] };
  if (Array.isArray(value)) {
    const files = value.map(asFile);
    return files.every((f) => f !== undefined) ? { code, multiple: true, files: files as DealFile[] } : undefined;
  }
  const file = asFile(value);
  return file ? { code, multiple: false, files: [file] } : undefined;
}

/** Every `UF_CRM_…` field of `item` that holds files, in the order the portal lists them. */
export function fileFields(item: Record<string, unknown>): FileField[] {
  return Object.keys(item)
    .filter((key) => key.startsWith('UF_CRM_'))
    .map((key) => fileFieldOf(item, key))
    .filter((field): field is FileField => field !== undefined && field.files.length > 0);
}
