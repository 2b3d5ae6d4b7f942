/**
 * A signed checkpoint of the sign log: the service key signs {seq, hash of the entry at seq, time}, so a
 * verifier holding only an export and the service's certificate can tell that entries 1..seq are the ones
 * the service had written by then (the public hash chain links every earlier entry to that hash). With a
 * timestamp authority configured, an RFC 3161 token over the signature dates it independently.
 */
export interface SignLogCheckpoint {
  /** 1, 2, 3 … without gaps, in the order they were made. */
  number: number;
  /** The entry the checkpoint covers the log up to (inclusive). */
  seq: number;
  /** That entry's hash (SignLogEntry.hash). */
  hash: string;
  /** When the service signed it. */
  time: Date;
  /** base64 of the DER ECDSA P-256 / SHA-256 signature over `checkpointMessage` (sign-log-checkpoint-signature.ts). */
  signature: string;
  /** hex SHA-256 of the DER certificate of the key that signed it. */
  certificateSha256: string;
  /** base64 of an RFC 3161 TimeStampToken over SHA-256(signature); added later when the TSA was unavailable. */
  timestamp?: string;
}

/** What the checkpointer hands the store; the store assigns `number`. */
export type NewSignLogCheckpoint = Omit<SignLogCheckpoint, 'number'>;

/**
 * The service key that signs checkpoints: an ECDSA P-256 key made on first use, its PKCS#8 sealed under the
 * master key, and its self-signed certificate "SignService sign-log" (public: exported for verifiers).
 */
export interface StoredServiceKey {
  /** DER of the self-signed certificate. */
  certificate: Buffer;
  /** The PKCS#8 private key, sealed with MasterKey.seal under SERVICE_KEY_CONTEXT. */
  sealedKey: { keyId: string; iv: string; tag: string; ciphertext: string };
  createdAt: Date;
}
