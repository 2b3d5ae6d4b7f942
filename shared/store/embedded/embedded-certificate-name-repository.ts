/**
 * Certificate display names in the embedded SQLite file. The table is created on first use with IF NOT
 * EXISTS (idempotent, safe when processes race), like the portals' tables, so it needs no migration step.
 */
import type { CertificateName } from '../../domain/certificate-name.js';
import type { CertificateNameRepository } from '../store-ports.js';
import { type SqliteDatabase, withStoreErrors } from './sqlite-database.js';

export const CERTIFICATE_NAME_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS certificate_names (
  cert_id    TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
`;

interface NameRow {
  cert_id: string;
  name: string;
  updated_at: string;
}

const fromRow = (r: NameRow): CertificateName => ({
  certId: r.cert_id,
  name: r.name,
  updatedAt: new Date(r.updated_at),
});

function statements(db: SqliteDatabase) {
  return {
    upsert: db.prepare(
      `INSERT INTO certificate_names (cert_id, name, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (cert_id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at`,
    ),
    remove: db.prepare('DELETE FROM certificate_names WHERE cert_id = ?'),
    one: db.prepare<[string], NameRow>('SELECT * FROM certificate_names WHERE cert_id = ?'),
    all: db.prepare<[], NameRow>('SELECT * FROM certificate_names ORDER BY cert_id'),
  };
}

/** The CertificateNameRepository over the embedded SQLite file. */
export function embeddedCertificateNameRepository(db: SqliteDatabase): CertificateNameRepository {
  let prepared: ReturnType<typeof statements> | undefined;
  const sql = () => {
    if (!prepared) {
      db.exec(CERTIFICATE_NAME_SCHEMA_SQL);
      prepared = statements(db);
    }
    return prepared;
  };
  return withStoreErrors('certificate names', {
    async set(certId: string, name: string | undefined, at: Date) {
      if (name === undefined) sql().remove.run(certId);
      else sql().upsert.run(certId, name, at.toISOString());
    },
    async get(certId: string) {
      const row = sql().one.get(certId);
      return row ? fromRow(row) : undefined;
    },
    async list() {
      return sql().all.all().map(fromRow);
    },
  });
}
