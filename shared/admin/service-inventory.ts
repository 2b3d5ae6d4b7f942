/**
 * The certificate inventory as the service (not one worker) sees it: the internal CA's records in the data
 * directory and the last listing of every token that a worker saved there. The HTTP app holds no token, so
 * a token's certificates are shown as last listed; whether the token is plugged in right now is the
 * workers' readiness report.
 */
import { buildInventory, type Inventory } from '../crypto/certificate-inventory.js';
import { FileTokenSnapshotStore } from '../crypto/file-token-snapshot-store.js';
import type { CaStore } from '../crypto/internal-ca/ca-store.js';

export async function loadServiceInventory(o: { caStore: CaStore; dataDir: string; now: Date }): Promise<Inventory> {
  const root = await o.caStore.loadRoot();
  const ca = root
    ? { root, issued: await o.caStore.listIssued(), revocations: await o.caStore.listRevocations() }
    : undefined;
  const snapshots = await new FileTokenSnapshotStore(o.dataDir).list().catch(() => []);
  return buildInventory({
    tokens: snapshots.map((s) => ({ ...s, present: true })),
    ...(ca ? { ca } : {}),
    now: o.now,
  });
}
