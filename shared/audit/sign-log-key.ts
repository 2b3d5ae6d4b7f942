/**
 * The sign log's MAC key: HMAC-SHA256 [RFC 2104] under a key derived from the master key with HKDF and its
 * own context label (MasterKey.deriveKey), never the master key itself. Each entry's MAC covers the previous
 * entry's MAC and this entry's hash (which covers every field, `prevHash` included), so the MACs form a
 * second chain that only a holder of the master key can extend or rewrite. The key bytes never leave this
 * object.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { MasterKey } from '../crypto/master-key.js';

/** HKDF info of the MAC key: changing it orphans every existing MAC. */
export const SIGN_LOG_MAC_PURPOSE = 'signservice/sign-log-mac/v1';

/** Domain separation inside the HMAC input, so these MACs can never be confused with another use. */
const MAC_LABEL = 'signservice sign-log entry v1';

/** What a MAC binds: the entry's position and hash, and the MAC of the entry before it ('' for the first). */
export interface MacInput {
  seq: number;
  hash: string;
  prevMac: string;
}

export class SignLogKey {
  readonly #key: Buffer;

  private constructor(key: Buffer) {
    this.#key = key;
  }

  /** The sign log key of a master key: every process with the same master key derives the same key. */
  static fromMasterKey(masterKey: MasterKey): SignLogKey {
    return new SignLogKey(masterKey.deriveKey(SIGN_LOG_MAC_PURPOSE));
  }

  /** hex HMAC-SHA256 of an entry. */
  mac(input: MacInput): string {
    return createHmac('sha256', this.#key)
      .update(`${MAC_LABEL}\n${input.seq}\n${input.prevMac}\n${input.hash}`, 'utf8')
      .digest('hex');
  }

  /** Whether `mac` is the entry's MAC (compared in constant time). */
  verify(input: MacInput, mac: string | undefined): boolean {
    if (typeof mac !== 'string' || !/^[0-9a-f]{64}$/.test(mac)) return false;
    return timingSafeEqual(Buffer.from(this.mac(input), 'hex'), Buffer.from(mac, 'hex'));
  }
}
