/**
 * The signer port: what the PDF engine needs from a private key, wherever it lives (a software key
 * from a PKCS#12 / PEM file, an internal-CA key, or a key on a PKCS#11 token). One method, `sign`.
 */
export type KeyAlgorithm = { kind: 'rsa'; bits: number } | { kind: 'ec'; curve: 'P-256'; bits: 256 };

export interface SigningKey {
  /** DER of the signer's certificate. */
  readonly certificate: Buffer;
  /** DER of the other certificates of the chain, issuer first, root last (may be empty). */
  readonly chain: readonly Buffer[];
  /** The key's algorithm; decides the CMS signatureAlgorithm. */
  readonly algorithm: KeyAlgorithm;
  /**
   * Signs `data` (the DER of the CMS signed attributes) with SHA-256: RSA PKCS#1 v1.5, or ECDSA with
   * the result as a DER `Ecdsa-Sig-Value` (SEQUENCE { r INTEGER, s INTEGER }).
   */
  sign(data: Buffer): Promise<Buffer>;
}
