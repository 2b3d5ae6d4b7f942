/**
 * Documents that are files on a Bitrix24 deal (reference §6.1, §6.2).
 *
 * Fetch: read the deal, take the named field (or, when the step left it empty, the first file field that
 * holds a PDF) and file, download its `urlMachine` link — only from the portal's own origin (the client
 * refuses anything else before a token is sent), size-limited, checked to be a PDF. The exact field and
 * file id are returned, and the fetch step stores them.
 *
 * Deliver: `crm.item.update` with `useOriginalUfNames: 'Y'`; a single field gets `[name, base64]` (the old
 * file is deleted; the name is the original's, read from the download's Content-Disposition at fetch), a multiple field the whole list with every other file kept as `{id}` and ours replaced in
 * place (a missing id would delete that file, §6.2). Idempotent by reading back, never by blind repeats: the
 * deal is read before each attempt; while the original file is still there the update has not happened and
 * is (re)sent; once it is gone, the field must hold a file whose SHA-256 is that of the signed bytes — then
 * the delivery happened (ours, whose answer was lost, or an earlier run's) — else someone else replaced or
 * removed the file meanwhile and the request fails (DOCUMENT_CHANGED) rather than overwrite their change.
 * Deliveries to one deal go one at a time (deal-delivery-lanes.ts), so several PDFs of one deal signed
 * together never delete each other's signed copies.
 */
import { createHash } from 'node:crypto';
import type { Bitrix24App } from '../../shared/bitrix24/bitrix24-app.js';
import type { DownloadedFile } from '../../shared/bitrix24/rest-exchange.js';
import { repeatOnTokenRace } from '../../shared/bitrix24/token-race.js';
import type { DocumentRef } from '../../shared/domain/sign-request.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { assertPdfHeader } from '../../shared/fs/read-pdf-file.js';
import type { Logger } from '../../shared/logger.js';
import { DealDeliveryLanes } from '../bitrix24/deal-delivery-lanes.js';
import {
  DEAL_ENTITY_TYPE_ID,
  type DealFile,
  type FileField,
  fileFieldOf,
  fileFields,
  readDeal,
} from '../bitrix24/deal-files.js';
import type { DeliveryFacts, DocumentGateway } from './document-gateway.js';

type DealRef = Extract<DocumentRef, { kind: 'bitrix24' }>;

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
/** Lost answers of the update in a row before the job is left to the queue's retry. */
const MAX_DELIVERY_ROUNDS = 3;
/** Uploads finish requests, downloads start them: under load, finishing goes first (portal-gate.ts). */
const UPLOAD_PRIORITY = 1;
const DOWNLOAD_PRIORITY = 0;
/** Files of one field downloaded to find the delivered copy. */
const MAX_FILES_CHECKED = 10;

function asDeal(ref: DocumentRef): DealRef {
  if (ref.kind !== 'bitrix24')
    throw new AppError(ErrorCode.INTERNAL, `bitrix24 gateway given a '${ref.kind}' document`);
  return ref;
}

function missing(message: string): AppError {
  return new AppError(ErrorCode.DOCUMENT_MISSING, message);
}

export interface Bitrix24DocumentGatewayOptions {
  b24: Bitrix24App;
  maxBytes: number;
  logger: Logger;
}

/** Creates the gateway. */
export function bitrix24DocumentGateway(options: Bitrix24DocumentGatewayOptions): DocumentGateway {
  const { b24, maxBytes, logger } = options;
  const lanes = new DealDeliveryLanes();

  const download = async (ref: DealRef, file: DealFile): Promise<DownloadedFile> => {
    try {
      return await b24.gate.run(ref.memberId, DOWNLOAD_PRIORITY, () =>
        repeatOnTokenRace(() => b24.client.downloadFile(ref.memberId, file.urlMachine, { maxBytes })),
      );
    } catch (error) {
      if (error instanceof AppError && error.details?.maxBytes !== undefined) {
        throw new AppError(
          ErrorCode.DOCUMENT_TOO_LARGE,
          `File ${file.id} of deal ${ref.entityId} is larger than ${maxBytes} bytes (SIGNSERVICE_MAX_PDF_MB)`,
        );
      }
      throw error;
    }
  };

  /** The first PDF among the deal's file fields (the step named no field, or named one with several files). */
  const firstPdf = async (ref: DealRef, fields: FileField[]) => {
    for (const field of fields) {
      for (const file of field.files) {
        const got = await download(ref, file);
        if (got.bytes.subarray(0, 1024).includes('%PDF-')) return { ...got, field, file };
      }
    }
    if (ref.fieldCode && fields.some((f) => f.files.length > 0)) {
      throw new AppError(
        ErrorCode.PDF_NOT_PDF,
        `The file in field ${ref.fieldCode} of deal ${ref.entityId} is not a PDF; only PDF files can be signed`,
      );
    }
    const where = ref.fieldCode ? `field ${ref.fieldCode}` : 'any file field';
    throw missing(`Deal ${ref.entityId} has no PDF in ${where}; attach the PDF to sign to the deal`);
  };

  const fetchResolved = async (raw: DocumentRef) => {
    const ref = asDeal(raw);
    const item = await readDeal(b24, ref.memberId, ref.entityId);
    let fields = fileFields(item);
    if (ref.fieldCode) {
      const field = fileFieldOf(item, ref.fieldCode);
      if (!field) throw missing(`Deal ${ref.entityId} has no file field ${ref.fieldCode}`);
      fields = [field];
    }
    if (ref.fileId) {
      const file = fields.flatMap((f) => f.files.map((x) => ({ f, x }))).find(({ x }) => x.id === ref.fileId);
      if (!file) throw missing(`File ${ref.fileId} is no longer on deal ${ref.entityId}`);
      const { bytes, fileName } = await download(ref, file.x);
      assertPdfHeader(bytes, `File ${ref.fileId} of deal ${ref.entityId}`);
      return { bytes, ref: { ...ref, fieldCode: file.f.code, ...(fileName ? { fileName } : {}) } };
    }
    const found = await firstPdf(ref, fields);
    logger.info(
      { memberId: ref.memberId, dealId: ref.entityId, field: found.field.code, fileId: found.file.id },
      'deal PDF found',
    );
    const named = found.fileName ? { fileName: found.fileName } : {};
    return { bytes: found.bytes, ref: { ...ref, fieldCode: found.field.code, fileId: found.file.id, ...named } };
  };

  /** The id of a file in `field` holding exactly `bytes`, if any (downloads to compare hashes). */
  const deliveredCopy = async (ref: DealRef, field: FileField, wanted: string): Promise<string | undefined> => {
    for (const file of field.files.slice(0, MAX_FILES_CHECKED)) {
      if (sha256((await download(ref, file)).bytes) === wanted) return file.id;
    }
    return undefined;
  };

  const update = async (ref: DealRef, field: FileField, bytes: Buffer): Promise<string | undefined> => {
    // The name people know the document by; a portal that sent none gets a descriptive one.
    const upload = [ref.fileName ?? `deal-${ref.entityId}-signed.pdf`, bytes.toString('base64')];
    const value = field.multiple ? field.files.map((f) => (f.id === ref.fileId ? upload : { id: f.id })) : upload;
    const params = {
      entityTypeId: DEAL_ENTITY_TYPE_ID,
      id: ref.entityId,
      useOriginalUfNames: 'Y',
      fields: { [field.code]: value },
    };
    // A token race means the update was refused, not run: repeating it cannot apply it twice.
    const answer = await b24.gate.run(ref.memberId, UPLOAD_PRIORITY, () =>
      repeatOnTokenRace(() =>
        b24.client.call<{ item?: Record<string, unknown> }>(ref.memberId, 'crm.item.update', params),
      ),
    );
    const after = answer.result?.item ? fileFieldOf(answer.result.item, field.code) : undefined;
    const before = new Set(field.files.map((f) => f.id));
    return after?.files.find((f) => !before.has(f.id))?.id;
  };

  const deliver = async (raw: DocumentRef, bytes: Buffer): Promise<DeliveryFacts> => {
    const ref = asDeal(raw);
    if (!ref.fieldCode || !ref.fileId)
      throw new AppError(ErrorCode.INTERNAL, 'deliver before the deal file was resolved');
    const wanted = sha256(bytes);
    for (let round = 1; ; round++) {
      const field = fileFieldOf(await readDeal(b24, ref.memberId, ref.entityId), ref.fieldCode);
      if (!field) throw missing(`Deal ${ref.entityId} has no file field ${ref.fieldCode} any more`);
      if (!field.files.some((f) => f.id === ref.fileId)) {
        const id = await deliveredCopy(ref, field, wanted);
        if (id) return { fieldCode: ref.fieldCode, fileId: id, replacedFileId: ref.fileId, bytes: bytes.length };
        throw new AppError(
          ErrorCode.DOCUMENT_CHANGED,
          `File ${ref.fileId} of deal ${ref.entityId} was replaced or removed by someone else while it was being signed; the signed copy was not put on the deal`,
        );
      }
      try {
        const id = await update(ref, field, bytes);
        if (id) return { fieldCode: ref.fieldCode, fileId: id, replacedFileId: ref.fileId, bytes: bytes.length };
      } catch (error) {
        const lost = error instanceof AppError && error.code === ErrorCode.B24_OUTCOME_UNKNOWN;
        if (!lost || round >= MAX_DELIVERY_ROUNDS) throw error;
        logger.warn({ memberId: ref.memberId, dealId: ref.entityId, round }, 'deal update answer lost; reading back');
      }
    }
  };

  return {
    fetch: async (ref) => (await fetchResolved(ref)).bytes,
    fetchResolved,
    // Read and update of one deal never interleave with another delivery to it (deal-delivery-lanes.ts).
    deliver: (raw, bytes) => {
      const ref = asDeal(raw);
      return lanes.run(ref.memberId, ref.entityId, () => deliver(ref, bytes));
    },
  };
}
