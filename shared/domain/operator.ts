/**
 * A service operator: signs in to the standalone panel (`/admin`) with login, password and a TOTP code.
 * Created on the host with `signservice admin add LOGIN --password-file F`. The password is kept only as
 * an scrypt hash; the TOTP secret is sealed with the master key and never shown again once confirmed.
 */
import type { EncryptedSecret } from './encrypted-secret.js';

export interface OperatorTotp {
  /** Sealed with context `operator-totp:<login>`. */
  secret: EncryptedSecret;
  /** Set once the operator typed a first right code (first sign-in); until then the set-up is shown. */
  confirmedAt: Date | undefined;
  /** The last accepted time step (replay guard, RFC 6238 §5.2). */
  lastStep: number;
}

export interface Operator {
  login: string;
  /** `scrypt$N$r$p$<salt b64>$<hash b64>` (shared/admin/password-hash.ts). */
  passwordHash: string;
  totp: OperatorTotp | undefined;
  /** Failed sign-ins inside the current window (lockout). */
  failures: Date[];
  lockedUntil: Date | undefined;
  createdAt: Date;
  updatedAt: Date;
}
