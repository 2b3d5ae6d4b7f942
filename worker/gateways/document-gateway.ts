/**
 * Where the pipeline gets a document and where it puts the signed one. One implementation per
 * `DocumentRef.kind`: local files (the CLI), Bitrix24 deal files (the Bitrix24 client, later). `deliver` must
 * be idempotent: a redelivered job may deliver the same bytes twice.
 */
import type { DocumentRef } from '../../shared/domain/sign-request.js';
import { AppError, ErrorCode } from '../../shared/errors.js';

/** Facts about a delivery for the request's step record (paths, file ids); never secrets. */
export type DeliveryFacts = Record<string, string | number | boolean>;

/** What the pipeline knows about a delivery that a gateway may use. */
export interface DeliveryHints {
  /** A local file that durably holds the same bytes (the signed blob): may be linked rather than copied. */
  copyOf?: string;
  /**
   * An earlier run of this request may have begun this delivery and been killed (the job is resumed):
   * whatever such a delivery left behind is cleaned up. A request signed in this run was never delivered.
   */
  resumed?: boolean;
}

export interface DocumentGateway {
  /**
   * The document's bytes.
   * @throws AppError permanent: DOCUMENT_TOO_LARGE, PDF_EMPTY, PDF_NOT_PDF, INVALID_ARGUMENT (gone for good);
   *   transient: FILE_IO and the source's unavailability codes.
   */
  fetch(ref: DocumentRef): Promise<Buffer>;
  /**
   * Like `fetch`, for sources where the request names the document loosely (a Bitrix24 robot: "the first
   * file field that holds a PDF"): also returns the exact reference that was read, which the fetch step
   * stores, so the rest of the pipeline (re-fetch, deliver) works on that very file.
   */
  fetchResolved?(ref: DocumentRef): Promise<{ bytes: Buffer; ref: DocumentRef }>;
  /** Puts `bytes` where `ref` says, replacing what is there; safe to repeat with the same bytes. */
  deliver(ref: DocumentRef, bytes: Buffer, hints?: DeliveryHints): Promise<DeliveryFacts>;
  /** The document's size in bytes when it can be known cheaply before fetching (the worker's byte budget). */
  size?(ref: DocumentRef): Promise<number | undefined>;
}

/** Gateways by document kind. */
export type DocumentGateways = Partial<Record<DocumentRef['kind'], DocumentGateway>>;

/** One gateway over several: picks the one for the document's kind. */
export function routeDocuments(gateways: DocumentGateways): DocumentGateway {
  const pick = (ref: DocumentRef): DocumentGateway => {
    const gateway = gateways[ref.kind];
    if (!gateway) {
      throw new AppError(
        ErrorCode.INVALID_ARGUMENT,
        `This worker cannot handle '${ref.kind}' documents (no gateway configured for them)`,
      );
    }
    return gateway;
  };
  return {
    fetch: (ref) => pick(ref).fetch(ref),
    async fetchResolved(ref) {
      const gateway = pick(ref);
      return gateway.fetchResolved ? gateway.fetchResolved(ref) : { bytes: await gateway.fetch(ref), ref };
    },
    deliver: (ref, bytes, hints) => pick(ref).deliver(ref, bytes, hints),
    async size(ref) {
      const gateway = gateways[ref.kind];
      return gateway?.size ? gateway.size(ref) : undefined;
    },
  };
}
