/**
 * Keeps the internal CA's published CRL current: a new one is issued when there is none, when it cannot be
 * read, or once half of its validity has passed, so relying parties never hold a CRL past its nextUpdate
 * [RFC 5280 §5.1.2.5]. The service calls it on start and on a timer; a revocation issues one at once.
 */
import { AppError, ErrorCode } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { MasterKey } from '../master-key.js';
import { parseCrl } from '../revocation/crl-reader.js';
import type { CaStore } from './ca-store.js';
import { issueCrl } from './crl.js';

/** Issues a CRL when due; true when it did. @throws AppError CA_NOT_INITIALIZED, MASTER_KEY_INVALID, FILE_IO */
export async function refreshCrlIfDue(store: CaStore, masterKey: MasterKey, now = new Date()): Promise<boolean> {
  const current = await store.loadCrl();
  if (current && !halfExpired(current, now)) return false;
  await issueCrl({ store, masterKey, now });
  return true;
}

function halfExpired(der: Buffer, now: Date): boolean {
  try {
    const { thisUpdate, nextUpdate } = parseCrl(der);
    if (!nextUpdate) return false;
    const middle = thisUpdate.getTime() + (nextUpdate.getTime() - thisUpdate.getTime()) / 2;
    return now.getTime() >= middle;
  } catch {
    return true;
  }
}

/** Checks the CRL now and every `intervalMs`; a CA without a root is skipped quietly. Returns `stop`. */
export function startCrlRefresh(options: {
  store: CaStore;
  masterKey: MasterKey;
  intervalMs: number;
  logger: Logger;
}): { stop(): void } {
  const check = () =>
    refreshCrlIfDue(options.store, options.masterKey).then(
      (issued) => {
        if (issued) options.logger.info({ ca: options.store.location }, 'internal CA: CRL reissued before nextUpdate');
      },
      (error: unknown) => {
        if (error instanceof AppError && error.code === ErrorCode.CA_NOT_INITIALIZED) return;
        options.logger.error({ err: error, ca: options.store.location }, 'internal CA: the CRL could not be reissued');
      },
    );
  void check();
  const timer = setInterval(check, options.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
