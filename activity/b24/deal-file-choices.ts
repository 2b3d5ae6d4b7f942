/**
 * The files a deal holds in its file fields, for the Sign dialog's document list: the deal's file fields
 * come from `crm.deal.userfield.list` (filter `USER_TYPE_ID = file`, labels in the user's language; an
 * administrator's method, so it runs with the app's tokens), their values from the deal item the page's
 * user read (`crm.item.get` with `useOriginalUfNames: 'Y'`, reference §6.1). Bitrix24 does not say a file's
 * name or type there, so `nameDealFiles` reads the start of each file through its `urlMachine` link (the
 * name from `Content-Disposition`, PDF or not from the `%PDF-` header): people choose files by name, and a
 * file that is not a PDF is listed as such and cannot be chosen, before any one-time code is spent.
 */
import type { Bitrix24Client } from '../../shared/bitrix24/rest-client.js';

/** One file of the deal the person may choose. */
export interface DealFileChoice {
  /** The field's original name, e.g. `UF_CRM_CONTRACT_PDF`. */
  fieldCode: string;
  fieldLabel: string;
  fileId: string;
  /** The browser link of the file (needs the person's Bitrix24 session). */
  url?: string;
  /** The server-side download link (`urlMachine`; it carries a token: never log or render it). */
  machineUrl?: string;
}

/** What reading the start of a file found. */
export type DealFileKind = 'pdf' | 'not-pdf' | 'unreadable';

/** A file of the deal with its name and kind, as the dialog lists it. */
export interface NamedDealFile extends DealFileChoice {
  /** The portal's name of the file; undefined when it gave none (or could not be read). */
  fileName?: string;
  kind: DealFileKind;
}

export interface DealFiles {
  title: string;
  files: DealFileChoice[];
}

interface FieldRow {
  FIELD_NAME?: unknown;
  EDIT_FORM_LABEL?: unknown;
}

function asList(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  return value === null || value === undefined ? [] : [value];
}

/** The `{id, url}` file values of one field, as crm.item.get shows them (single: object, multiple: list). */
export function fileValues(value: unknown): { id: string; url?: string; urlMachine?: string }[] {
  return asList(value).flatMap((entry) => {
    if (entry === null || typeof entry !== 'object') return [];
    const { id, url, urlMachine } = entry as { id?: unknown; url?: unknown; urlMachine?: unknown };
    if (!(typeof id === 'number' || (typeof id === 'string' && /^\d+$/.test(id)))) return [];
    return [
      {
        id: String(id),
        ...(typeof url === 'string' ? { url } : {}),
        ...(typeof urlMachine === 'string' ? { urlMachine } : {}),
      },
    ];
  });
}

function label(row: FieldRow, fieldName: string): string {
  const raw = row.EDIT_FORM_LABEL;
  if (typeof raw === 'string' && raw.trim()) return raw.trim();
  if (raw && typeof raw === 'object') {
    const first = Object.values(raw as Record<string, unknown>).find((v) => typeof v === 'string' && v.trim());
    if (typeof first === 'string') return first.trim();
  }
  return fieldName;
}

/**
 * The deal's title and files: `item` as the page's user read it, the field list with the app's tokens.
 * @throws AppError from the client.
 */
export async function dealFileChoices(
  client: Bitrix24Client,
  memberId: string,
  item: Record<string, unknown>,
  language: string,
): Promise<DealFiles> {
  const answer = await client.call(memberId, 'crm.deal.userfield.list', {
    filter: { USER_TYPE_ID: 'file', LANG: language },
  });
  const files: DealFileChoice[] = [];
  for (const row of asList(answer.result) as FieldRow[]) {
    const fieldCode = typeof row.FIELD_NAME === 'string' ? row.FIELD_NAME : '';
    if (!/^UF_CRM_[A-Z0-9_]+$/.test(fieldCode)) continue;
    for (const file of fileValues(item[fieldCode])) {
      files.push({
        fieldCode,
        fieldLabel: label(row, fieldCode),
        fileId: file.id,
        ...(file.url ? { url: file.url } : {}),
        ...(file.urlMachine ? { machineUrl: file.urlMachine } : {}),
      });
    }
  }
  const title = typeof item.title === 'string' ? item.title : typeof item.TITLE === 'string' ? item.TITLE : '';
  return { title: title || `#${String(item.id ?? item.ID ?? '')}`, files };
}

/** How many files of one deal are read at once. */
const PEEK_CONCURRENCY = 4;

/**
 * Each file's name and whether it is a PDF, from its first KiB (`Bitrix24Client.peekFile`, the app's tokens).
 * A file that cannot be read now is listed as such (and not offered), never failing the whole dialog.
 */
export async function nameDealFiles(
  client: Pick<Bitrix24Client, 'peekFile'>,
  memberId: string,
  files: readonly DealFileChoice[],
): Promise<NamedDealFile[]> {
  const named: NamedDealFile[] = new Array(files.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < files.length; i = next++) {
      const file = files[i] as DealFileChoice;
      if (!file.machineUrl) {
        named[i] = { ...file, kind: 'unreadable' };
        continue;
      }
      try {
        const peeked = await client.peekFile(memberId, file.machineUrl, 1024);
        const kind = peeked.head.includes('%PDF-') ? 'pdf' : 'not-pdf';
        named[i] = { ...file, ...(peeked.fileName ? { fileName: peeked.fileName } : {}), kind };
      } catch {
        named[i] = { ...file, kind: 'unreadable' };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PEEK_CONCURRENCY, files.length) }, worker));
  return named;
}
