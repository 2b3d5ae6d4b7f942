/**
 * Online help for a verifier: fetches, from the URLs the certificates name, the chains and revocation data of
 * every signature in a document, as `verifyPdf`'s `extraValidationData`. A source that fails is noted and
 * skipped (the verifier then reports what is missing); nothing is written into the document.
 */
import type { RevocationFetcher } from '../../crypto/revocation/revocation-fetcher.js';
import {
  collectValidationData,
  emptyValidationData,
  mergeValidationData,
  type ValidationData,
} from '../../crypto/revocation/validation-data.js';
import { PdfDocument } from '../pdf-document.js';
import type { PdfSource } from '../pdf-source.js';
import { listSignatures } from '../signature-fields.js';
import { readDss } from './dss-increment.js';
import { signatureCertificates } from './signature-certificates.js';

/** Fetches what can be fetched; `failures` says what could not. */
export async function fetchValidationData(
  source: PdfSource,
  fetcher: RevocationFetcher,
): Promise<{ data: ValidationData; failures: string[] }> {
  const doc = PdfDocument.open(source);
  const existing = readDss(doc);
  const data = emptyValidationData();
  const failures: string[] = [];
  for (const sig of listSignatures(doc)) {
    const { leaves, pool } = signatureCertificates(sig);
    for (const leaf of leaves) {
      try {
        mergeValidationData(
          data,
          await collectValidationData([leaf], [...pool, ...existing.certificates], { fetcher }),
        );
      } catch (error) {
        failures.push(`${sig.fieldName}: ${(error as Error).message}`);
      }
    }
  }
  return { data, failures };
}
