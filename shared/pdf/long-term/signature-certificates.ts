/**
 * The certificates a PDF signature relies on, read from its /Contents: for a PAdES signature the signer's
 * certificate and the timestamp authority's of its signature timestamp; for a document timestamp the TSA's;
 * and every certificate the CMS structures carry, to build chains from.
 */
import { attributeValue, findSignerCertificate, parseSignedData } from '../../crypto/cms-signed-data.js';
import { OID } from '../../crypto/oids.js';
import { checkTimeStampToken } from '../../crypto/timestamp-token.js';
import type { FoundSignature } from '../signature-fields.js';

/** What one signature relies on. */
export interface SignatureCertificates {
  /** The signer (PAdES) or TSA (document timestamp) certificate. */
  readonly leaves: Buffer[];
  /** Every certificate in the CMS and its timestamp token. */
  readonly pool: Buffer[];
}

/** Whether a found signature is a document timestamp. */
export function isDocumentTimestamp(sig: Pick<FoundSignature, 'kind' | 'subFilter'>): boolean {
  return sig.kind === 'DocTimeStamp' || sig.subFilter === 'ETSI.RFC3161';
}

/** The certificates of `sig`; empty lists for a CMS that cannot be read (the verifier reports that). */
export function signatureCertificates(
  sig: Pick<FoundSignature, 'kind' | 'subFilter' | 'contents'>,
): SignatureCertificates {
  const leaves: Buffer[] = [];
  const pool: Buffer[] = [];
  try {
    if (isDocumentTimestamp(sig)) {
      const token = checkTimeStampToken(sig.contents);
      if (token.tsaCertificate) leaves.push(token.tsaCertificate);
      pool.push(...token.certificates);
      return { leaves, pool };
    }
    const signedData = parseSignedData(sig.contents);
    pool.push(...signedData.certificates);
    const signerInfo = signedData.signerInfos[0];
    if (!signerInfo) return { leaves, pool };
    const signer = findSignerCertificate(signedData.certificates, signerInfo.sid);
    if (signer) leaves.push(signer);
    const tokenValue = attributeValue(signerInfo.unsignedAttributes, OID.signatureTimeStampToken);
    if (tokenValue) {
      const token = checkTimeStampToken(Buffer.from(tokenValue.encoded));
      if (token.tsaCertificate) leaves.push(token.tsaCertificate);
      pool.push(...token.certificates);
    }
  } catch {
    // A damaged CMS or token: what was found so far is all there is.
  }
  return { leaves, pool };
}
