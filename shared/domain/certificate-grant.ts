/**
 * Which certificates (inventory ids: SHA-256 fingerprints) an account may sign with. One certificate may
 * be granted to several accounts (a shared token); the sign log still names the person who signed.
 */
export interface CertificateGrant {
  accountId: string;
  certId: string;
  isDefault: boolean;
  grantedAt: Date;
}
