/**
 * `CaStore` on files under a data directory:
 *
 *   <dir>/ca/root.json           root certificate, key type, sealed key, public base URL
 *   <dir>/ca/issued/<id>.json    one file per issued certificate (sealed key or token location)
 *   <dir>/ca/revocations.json    the revocation list
 *   <dir>/ca/crl-number          last CRL number issued (decimal)
 *   <dir>/ca/root.crl            the current CRL (DER)
 *   <dir>/ca/ocsp-signer.json    the delegated OCSP responder's certificate and sealed key
 *
 * Binary fields are base64 in JSON. Files are 0600 and directories 0700: they hold sealed keys. One
 * process at a time (the CLI); the service store replaces this adapter.
 */
import path from 'node:path';
import { AppError, ErrorCode } from '../../errors.js';
import type { CaRootRecord, CaStore, IssuedRecord, OcspSignerRecord, RevocationRecord } from './ca-store.js';
import { listDirectory, readFileIfExists, readJsonIfExists, writeFileAtomic, writeJsonAtomic } from './data-files.js';

type Stored<T> = { [K in keyof T]: T[K] extends Buffer ? string : T[K] };

/** The file adapter of `CaStore`. */
export class FileCaStore implements CaStore {
  readonly location: string;
  readonly #dir: string;

  /** `dataDir` is the service data directory; the CA lives in its `ca/` subdirectory. */
  constructor(dataDir: string) {
    this.#dir = path.join(dataDir, 'ca');
    this.location = this.#dir;
  }

  async loadRoot(): Promise<CaRootRecord | undefined> {
    const stored = await readJsonIfExists<Stored<CaRootRecord>>(this.#file('root.json'));
    return stored && { ...stored, certificate: Buffer.from(stored.certificate, 'base64') };
  }

  async createRoot(root: CaRootRecord): Promise<void> {
    if ((await readFileIfExists(this.#file('root.json'))) !== undefined) {
      throw new AppError(
        ErrorCode.CA_ALREADY_INITIALIZED,
        `The internal CA in ${this.#dir} already has a root; replacing it would orphan every certificate it issued`,
      );
    }
    await writeJsonAtomic(this.#file('root.json'), { ...root, certificate: root.certificate.toString('base64') });
  }

  async listIssued(): Promise<IssuedRecord[]> {
    const names = (await listDirectory(this.#file('issued'))).filter((n) => /^[0-9a-f]{64}\.json$/.test(n));
    const records = await Promise.all(
      names.map((name) => readJsonIfExists<Stored<IssuedRecord>>(this.#file('issued', name))),
    );
    return records
      .filter((r): r is Stored<IssuedRecord> => r !== undefined)
      .map((r) => ({ ...r, certificate: Buffer.from(r.certificate, 'base64') }))
      .sort((a, b) => a.issuedAt.localeCompare(b.issuedAt));
  }

  async saveIssued(record: IssuedRecord): Promise<void> {
    if (!/^[0-9a-f]{64}$/.test(record.id)) throw new AppError(ErrorCode.INTERNAL, `bad certificate id ${record.id}`);
    await writeJsonAtomic(this.#file('issued', `${record.id}.json`), {
      ...record,
      certificate: record.certificate.toString('base64'),
    });
  }

  async listRevocations(): Promise<RevocationRecord[]> {
    return (await readJsonIfExists<RevocationRecord[]>(this.#file('revocations.json'))) ?? [];
  }

  async addRevocation(record: RevocationRecord): Promise<void> {
    const all = await this.listRevocations();
    await writeJsonAtomic(this.#file('revocations.json'), [...all.filter((r) => r.id !== record.id), record]);
  }

  async nextCrlNumber(): Promise<bigint> {
    const file = this.#file('crl-number');
    const text = (await readFileIfExists(file))?.toString('utf8').trim() ?? '0';
    if (!/^\d+$/.test(text)) throw new AppError(ErrorCode.FILE_IO, `${file} does not hold a CRL number (damaged?)`);
    const next = BigInt(text) + 1n;
    await writeFileAtomic(file, `${next}\n`);
    return next;
  }

  saveCrl(der: Buffer): Promise<void> {
    return writeFileAtomic(this.#file('root.crl'), der);
  }

  loadCrl(): Promise<Buffer | undefined> {
    return readFileIfExists(this.#file('root.crl'));
  }

  async loadOcspSigner(): Promise<OcspSignerRecord | undefined> {
    const stored = await readJsonIfExists<Stored<OcspSignerRecord>>(this.#file('ocsp-signer.json'));
    return stored && { ...stored, certificate: Buffer.from(stored.certificate, 'base64') };
  }

  saveOcspSigner(record: OcspSignerRecord): Promise<void> {
    return writeJsonAtomic(this.#file('ocsp-signer.json'), {
      ...record,
      certificate: record.certificate.toString('base64'),
    });
  }

  #file(...parts: string[]): string {
    return path.join(this.#dir, ...parts);
  }
}
