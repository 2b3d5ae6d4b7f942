/** Which certificates an account may sign with, in the embedded store. */
import type { CertificateGrant } from '../../domain/certificate-grant.js';
import type { GrantRepository } from '../store-ports.js';
import { type SqliteDatabase, withStoreErrors } from './sqlite-database.js';

interface GrantRow {
  account_id: string;
  cert_id: string;
  is_default: number;
  granted_at: string;
}

function fromRow(r: GrantRow): CertificateGrant {
  return {
    accountId: r.account_id,
    certId: r.cert_id,
    isDefault: r.is_default === 1,
    grantedAt: new Date(r.granted_at),
  };
}

/** The GrantRepository over the embedded SQLite file. */
export function embeddedGrantRepository(db: SqliteDatabase): GrantRepository {
  const upsert = db.prepare(
    `INSERT INTO grants (account_id, cert_id, is_default, granted_at) VALUES (@accountId, @certId, @isDefault, @grantedAt)
     ON CONFLICT (account_id, cert_id) DO UPDATE SET is_default = excluded.is_default, granted_at = excluded.granted_at`,
  );
  const clearOtherDefaults = db.prepare(
    'UPDATE grants SET is_default = 0 WHERE account_id = ? AND cert_id <> ? AND is_default = 1',
  );
  const remove = db.prepare('DELETE FROM grants WHERE account_id = ? AND cert_id = ?');
  const forAccount = db.prepare<[string], GrantRow>(
    'SELECT * FROM grants WHERE account_id = ? ORDER BY granted_at, cert_id',
  );
  const forCert = db.prepare<[string], GrantRow>(
    'SELECT * FROM grants WHERE cert_id = ? ORDER BY granted_at, account_id',
  );

  // One transaction: at every moment an account has at most one default certificate.
  const grant = db.transaction((g: CertificateGrant) => {
    upsert.run({
      accountId: g.accountId,
      certId: g.certId,
      isDefault: g.isDefault ? 1 : 0,
      grantedAt: g.grantedAt.toISOString(),
    });
    if (g.isDefault) clearOtherDefaults.run(g.accountId, g.certId);
  });

  return withStoreErrors('grants', {
    async grant(g) {
      grant.immediate(g);
    },
    async revoke(accountId, certId) {
      return remove.run(accountId, certId).changes === 1;
    },
    async listForAccount(accountId) {
      return forAccount.all(accountId).map(fromRow);
    },
    async listForCertificate(certId) {
      return forCert.all(certId).map(fromRow);
    },
  });
}
