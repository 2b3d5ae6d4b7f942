/**
 * Documents that are files on a Bitrix24 deal (reference §6.1, §6.2).
 *
 * Fetch: read the deal — a read up to a minute old is fine (the robot call's confirmation read it moments
 * ago, other documents of the deal are being fetched: shared/bitrix24/deal-reads.ts), and when it no longer
 * leads to the file a fresh read is taken — then the named field (or, when the step left it empty, the first
 * file field that holds a PDF) and file, its `urlMachine` link downloaded only from the portal's own origin
 * (the client refuses anything else before a token is sent), size-limited, checked to be a PDF. The exact
 * field and file id are returned, and the fetch step stores them.
 *
 * Deliver: deal-deliveries.ts — every delivery of one deal waiting at the same time in one read-back and one
 * `crm.item.update` (the original's name kept), one such round per deal at a time across every process (a
 * lease in the store), idempotent by reading back, never by blind repeats.
 */
import type { Bitrix24App } from '../../shared/bitrix24/bitrix24-app.js';
import type { DownloadedFile } from '../../shared/bitrix24/rest-exchange.js';
import { repeatOnTokenRace } from '../../shared/bitrix24/token-race.js';
import type { DocumentRef } from '../../shared/domain/sign-request.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { assertPdfHeader } from '../../shared/fs/read-pdf-file.js';
import type { Logger } from '../../shared/logger.js';
import type { LeaseRepository } from '../../shared/store/store-ports.js';
import { DealDeliveries, type DealRef } from '../bitrix24/deal-deliveries.js';
import { type DealFile, type FileField, fileFieldOf, fileFields, readDeal } from '../bitrix24/deal-files.js';
import type { DocumentGateway } from './document-gateway.js';

/** Downloads go after uploads under load (portal-gate.ts). */
const DOWNLOAD_PRIORITY = 0;

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
  /** The store's leases: deliveries to one deal one round at a time across every process (deal-deliveries.ts). */
  leases: LeaseRepository;
}

/** Creates the gateway. */
export function bitrix24DocumentGateway(options: Bitrix24DocumentGatewayOptions): DocumentGateway {
  const { b24, maxBytes, logger, leases } = options;

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

  /** The file `ref` names, from the deal as `item` shows it. */
  const resolve = async (ref: DealRef, item: Record<string, unknown>) => {
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

  const fetchResolved = async (raw: DocumentRef) => {
    const ref = asDeal(raw);
    const started = Date.now();
    const kept = await readDeal(b24, ref.memberId, ref.entityId, started - b24.deals.keepMs);
    try {
      return await resolve(ref, kept.item);
    } catch (error) {
      // An earlier read (the confirmation's, another document's) may no longer show the file: read anew.
      if (kept.issuedAt >= started) throw error;
      logger.info({ memberId: ref.memberId, dealId: ref.entityId }, 'deal read again for the fetch');
      return resolve(ref, (await readDeal(b24, ref.memberId, ref.entityId, Date.now())).item);
    }
  };

  const deliveries = new DealDeliveries({
    b24,
    logger,
    leases,
    download: async (ref, file) => (await download(ref, file)).bytes,
  });

  return {
    fetch: async (ref) => (await fetchResolved(ref)).bytes,
    fetchResolved,
    deliver: (ref, bytes) => deliveries.deliver(asDeal(ref), bytes),
  };
}
