/**
 * The master key: one AES-256 key that encrypts secrets at rest (internal-CA private keys today, OTP
 * secrets later). Each secret is sealed with AES-256-GCM [NIST SP 800-38D] under a fresh 96-bit IV, into
 * an envelope that names the key by its id, so a store opened with the wrong master key fails with a
 * clear message instead of a bare authentication error. Where the key comes from (environment, a file
 * in the data directory) is the caller's business; this file only takes bytes.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { AppError, ErrorCode } from '../errors.js';

/** An encrypted secret, as stored (all binary fields base64). */
export interface SealedSecret {
  /** Id of the master key that sealed it (`MasterKey.keyId`). */
  keyId: string;
  /** 12-byte GCM nonce, base64. */
  iv: string;
  /** 16-byte GCM authentication tag, base64. */
  tag: string;
  ciphertext: string;
}

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** An AES-256-GCM master key. The key bytes never leave this object: no getter, no serialisation. */
export class MasterKey {
  /** First 8 hex digits of SHA-256(key): names the key in envelopes and messages without revealing it. */
  readonly keyId: string;
  readonly #key: Buffer;

  private constructor(key: Buffer) {
    this.#key = Buffer.from(key);
    this.keyId = createHash('sha256').update(this.#key).digest('hex').slice(0, 8);
  }

  /**
   * A master key from its 32 raw bytes; `source` names where they came from for the error message.
   * @throws AppError MASTER_KEY_INVALID when the length is wrong.
   */
  static fromBytes(bytes: Buffer, source = 'the master key'): MasterKey {
    if (bytes.length !== KEY_BYTES) {
      throw new AppError(
        ErrorCode.MASTER_KEY_INVALID,
        `${source} must be ${KEY_BYTES} bytes (base64 of 32 random bytes, e.g. \`openssl rand -base64 32\`), got ${bytes.length}`,
      );
    }
    return new MasterKey(bytes);
  }

  /**
   * A master key from base64 text (surrounding whitespace ignored).
   * @throws AppError MASTER_KEY_INVALID when it is not base64 of 32 bytes.
   */
  static fromBase64(text: string, source = 'the master key'): MasterKey {
    const trimmed = text.trim();
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) {
      throw new AppError(ErrorCode.MASTER_KEY_INVALID, `${source} is not base64 (expected base64 of 32 random bytes)`);
    }
    return MasterKey.fromBytes(Buffer.from(trimmed, 'base64'), source);
  }

  /**
   * Encrypts `plaintext`. `context` is bound as GCM additional data: an envelope only opens with the same
   * context, so a sealed key cannot be swapped for another record's key in the store.
   */
  seal(plaintext: Buffer, context: string): SealedSecret {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      keyId: this.keyId,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ciphertext: ciphertext.toString('base64'),
    };
  }

  /**
   * A 32-byte key for one purpose (e.g. `signservice/dialog-session/v1`), derived with HKDF-SHA256
   * [RFC 5869] so the master key itself never keys anything but AES-GCM, and every purpose gets its own,
   * independent key. Deterministic: every process with the same master key derives the same bytes.
   */
  deriveKey(purpose: string): Buffer {
    if (!purpose) throw new AppError(ErrorCode.INTERNAL, 'a derived key needs a purpose');
    return Buffer.from(hkdfSync('sha256', this.#key, Buffer.alloc(0), Buffer.from(purpose, 'utf8'), KEY_BYTES));
  }

  /**
   * Decrypts an envelope sealed with `seal(…, context)`.
   * @throws AppError MASTER_KEY_INVALID when the envelope names another key, or fails authentication
   *   (wrong key, wrong context, or tampered data).
   */
  open(sealed: SealedSecret, context: string): Buffer {
    if (sealed.keyId !== this.keyId) {
      throw new AppError(
        ErrorCode.MASTER_KEY_INVALID,
        `${context} is encrypted under master key ${sealed.keyId}, but the configured master key is ${this.keyId}; ` +
          'configure the master key this data was created with',
        { details: { expectedKeyId: sealed.keyId, keyId: this.keyId } },
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(sealed.iv, 'base64'), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]);
    } catch (error) {
      throw new AppError(
        ErrorCode.MASTER_KEY_INVALID,
        `${context} cannot be decrypted with master key ${this.keyId}: the stored data was changed or belongs elsewhere`,
        { cause: error },
      );
    }
  }
}

/** 32 fresh random bytes for a new master key (the caller stores them, e.g. base64 in a 0600 file). */
export function generateMasterKeyBytes(): Buffer {
  return randomBytes(KEY_BYTES);
}
