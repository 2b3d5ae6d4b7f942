/** The shapes of `verifyPdf`'s report (shared by the CLI, the verification page and the tests). */
import type { ValidationData } from '../crypto/revocation/validation-data.js';
import type { OfflineCheck } from './long-term/chain-revocation.js';

export type PadesLevel = 'B-B' | 'B-T' | 'B-LT' | 'B-LTA' | 'none';

export interface SignerReport {
  subject: string;
  commonName: string | undefined;
  organization: string | undefined;
  email: string | undefined;
  serialNumber: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
}

export interface SignatureReport {
  /** 1-based, in field order. */
  index: number;
  fieldName: string;
  /** A signature, or a document timestamp (B-LTA). */
  kind: 'signature' | 'document-timestamp';
  /** The signer's (or, for a document timestamp, the TSA's) certificate. */
  signer: SignerReport | undefined;
  /** /M of the signature dictionary. */
  signingTime: Date | undefined;
  subFilter: string | undefined;
  /** Node name of the digest of the signed bytes. */
  digestAlgorithm: string | undefined;
  /** Digest over the byte range matches and the CMS signature (or the token) verifies. */
  integrity: boolean;
  /** The PAdES baseline level the signature reaches ('none' for document timestamps and non-PAdES). */
  level: PadesLevel;
  /** undefined when no trust roots were given. */
  trusted: boolean | undefined;
  chain: string[];
  /** The signature timestamp, or a document timestamp's own time. */
  timestamp: { time: Date; valid: boolean } | undefined;
  /** When certificate validity was judged: now, or a timestamp's time when a certificate has expired since. */
  validationTime: { time: Date; basis: 'now' | 'signature-timestamp' | 'document-timestamp' };
  /** Chains and revocation from the document alone (DSS, CMS): what an offline verifier can establish. */
  validationData: OfflineCheck & { completeForOffline: boolean };
  /** 1-based revision the signature covers, and the number of revisions. */
  revision: number | undefined;
  totalRevisions: number;
  coversWholeDocument: boolean;
  /** Changes made by later revisions. */
  laterChanges: { allowed: string[]; disallowed: string[] };
  problems: string[];
  /** integrity, no disallowed later change, (with roots) trusted, not revoked, and (hard-fail) revocation known. */
  ok: boolean;
}

export interface VerifyOptions {
  /** DER of trusted roots; without them trust is not judged. */
  trustRoots?: Buffer[];
  /**
   * `hard-fail`: a certificate that names a revocation source must have usable revocation data (embedded, or in
   * `extraValidationData`), else the signature is not OK. `soft-fail`: missing data is reported only.
   * @default 'soft-fail'
   */
  revocation?: 'hard-fail' | 'soft-fail';
  /** Validation data from elsewhere (fetched online by the caller); never fetched here. */
  extraValidationData?: ValidationData;
  /** @default new Date() */
  now?: Date;
}

export interface VerifyReport {
  signatures: SignatureReport[];
  /** The document's DSS (B-LT validation data) and the revision that first added one. */
  dss: { present: boolean; revision: number | undefined; certificates: number; ocspResponses: number; crls: number };
  revocationMode: 'hard-fail' | 'soft-fail';
  allOk: boolean;
}
