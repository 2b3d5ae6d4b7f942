/**
 * Signed documents that nobody will deliver are a liability, not a cache: a complete PDF validly signed by
 * the signer, outside every record. This removes every blob whose request is final or gone, or whose
 * request recorded other signed bytes (a second signing that lost the race, or one whose record was lost
 * in a crash), and what interrupted puts left behind. A blob of a request still being signed (no hash
 * recorded yet) is kept: its signer may be recording it right now.
 */
import { FINAL_STATES } from '../../shared/domain/sign-request.js';
import { removeTempLeftovers } from '../../shared/fs/write-file-durably.js';
import { parseSignedBlobKey } from '../../shared/store/blob-key.js';
import type { Store } from '../../shared/store/store-ports.js';

/** A leftover of a put whose writer still runs is removed only after this long (a hung writer). */
const LEFTOVER_AGE_MS = 15 * 60_000;

/** Whether anybody will deliver the blob under `key`. */
async function wanted(store: Store, key: string): Promise<boolean> {
  const signed = parseSignedBlobKey(key);
  if (!signed) return true; // not a signed document of ours: not ours to judge
  const request = await store.signRequests.get(signed.requestId);
  if (!request || FINAL_STATES.has(request.state)) return false;
  return request.signedSha256 === undefined || request.signedSha256 === signed.sha256;
}

/**
 * Removes the blobs nobody will deliver and the leftovers of interrupted puts, and the leftover temporary
 * files in `fileDirs` (the CA's and the token snapshots' directories); returns how many of each.
 */
export async function removeUndeliverable(
  store: Store,
  now: Date,
  fileDirs: readonly string[] = [],
): Promise<{ blobs: number; leftovers: number }> {
  const unwanted: string[] = [];
  for await (const { key } of store.blobs.list()) if (!(await wanted(store, key))) unwanted.push(key);
  let blobs = 0;
  for (const key of unwanted) if (await store.blobs.delete(key)) blobs++;
  const before = new Date(now.getTime() - LEFTOVER_AGE_MS);
  let leftovers = await store.blobs.removeLeftovers(before);
  for (const dir of fileDirs) leftovers += (await removeTempLeftovers(dir, { before })).length;
  return { blobs, leftovers };
}
