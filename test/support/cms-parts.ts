/** Pulls parts out of a signature's CMS for the independent judges (openssl ts -verify). */
import { attributeValue, parseSignedData } from '../../shared/crypto/cms-signed-data.js';
import { OID } from '../../shared/crypto/oids.js';

/** The signature-time-stamp token (DER ContentInfo) and the signature value it covers. */
export function extractSignatureTimestamp(cms: Buffer): { token: Buffer; signatureValue: Buffer } {
  const signerInfo = parseSignedData(cms).signerInfos[0];
  if (!signerInfo) throw new Error('the CMS has no SignerInfo');
  const token = attributeValue(signerInfo.unsignedAttributes, OID.signatureTimeStampToken);
  if (!token) throw new Error('the CMS carries no signature timestamp');
  return { token: Buffer.from(token.encoded), signatureValue: signerInfo.signature };
}
