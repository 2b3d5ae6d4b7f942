/** A secret encrypted at rest with the master key (AES-256-GCM); `keyId` names the key for rotation. */
export interface EncryptedSecret {
  keyId: string;
  /** base64 */
  iv: string;
  /** base64 */
  tag: string;
  /** base64 */
  ciphertext: string;
}
