/**
 * `TokenSnapshotStore` on one JSON file under the data directory (`<dir>/inventory/tokens.json`),
 * certificates base64. Written atomically; one process at a time (the CLI).
 */
import path from 'node:path';
import { readJsonIfExists, writeJsonAtomic } from './internal-ca/data-files.js';
import type { TokenSnapshot, TokenSnapshotStore } from './token-snapshot.js';

type StoredSnapshot = Omit<TokenSnapshot, 'certificates'> & {
  certificates: (Omit<TokenSnapshot['certificates'][number], 'certificate'> & { certificate: string })[];
};

/** The file adapter of `TokenSnapshotStore`. */
export class FileTokenSnapshotStore implements TokenSnapshotStore {
  readonly #file: string;

  constructor(dataDir: string) {
    this.#file = path.join(dataDir, 'inventory', 'tokens.json');
  }

  async list(): Promise<TokenSnapshot[]> {
    const stored = (await readJsonIfExists<StoredSnapshot[]>(this.#file)) ?? [];
    return stored.map((s) => ({
      ...s,
      certificates: s.certificates.map((c) => ({ ...c, certificate: Buffer.from(c.certificate, 'base64') })),
    }));
  }

  async save(snapshot: TokenSnapshot): Promise<void> {
    const others = (await readJsonIfExists<StoredSnapshot[]>(this.#file)) ?? [];
    const same = (s: StoredSnapshot) =>
      s.modulePath === snapshot.modulePath &&
      s.tokenLabel === snapshot.tokenLabel &&
      s.tokenSerial === snapshot.tokenSerial;
    const stored: StoredSnapshot = {
      ...snapshot,
      certificates: snapshot.certificates.map((c) => ({ ...c, certificate: c.certificate.toString('base64') })),
    };
    await writeJsonAtomic(this.#file, [...others.filter((s) => !same(s)), stored]);
  }
}
