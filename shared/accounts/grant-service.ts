/**
 * Certificate grants: which certificates (inventory ids) an account may sign with. An account may hold
 * several grants with exactly one default (the first grant becomes the default; revoking the default
 * promotes the oldest remaining one); one certificate may be granted to several accounts (a shared token).
 * Only a granted certificate that is valid right now can be used.
 */
import { findInventoryEntry, type InventoryEntry } from '../crypto/certificate-inventory.js';
import type { Account } from '../domain/account.js';
import type { CertificateGrant } from '../domain/certificate-grant.js';
import type { SignLogActor } from '../domain/sign-log-entry.js';
import { AppError, ErrorCode } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import type { Store } from '../store/store-ports.js';

/** What the certificate inventory knows about a certificate's validity. */
export interface CertificateValidity {
  notBefore: Date;
  notAfter: Date;
  revoked?: boolean;
}

/** Looks a certificate up in the inventory (token inventory or internal CA); undefined when unknown. */
export type InventoryLookup = (certId: string) => Promise<CertificateValidity | undefined>;

export interface GrantServiceDeps {
  store: Store;
  /** @default () => new Date() */
  now?: () => Date;
  logger?: Logger;
}

export interface GrantService {
  /**
   * Grants the certificate `certId` names — its inventory id, or a unique prefix of 8+ hex digits — to the
   * account (again: updates the default flag). The grant holds the full id.
   * @throws AppError CERT_UNKNOWN when `inventory` has no such certificate; INVALID_ARGUMENT for an id that is
   *   none or names several.
   */
  grant(options: {
    account: Account;
    certId: string;
    /** The certificate inventory (shared/admin/service-inventory.ts): the internal CA and the tokens' listings. */
    inventory: readonly Pick<InventoryEntry, 'id'>[];
    isDefault?: boolean;
    actor?: SignLogActor;
  }): Promise<CertificateGrant>;
  /** By the granted id or a unique prefix of it. @throws AppError GRANT_MISSING when it is not granted to the account. */
  revoke(options: { account: Account; certId: string; actor?: SignLogActor }): Promise<void>;
  /** The account's grants, the default first, then oldest first. */
  list(account: Account): Promise<CertificateGrant[]>;
  /**
   * Refuses a certificate the account may not sign with right now: GRANT_MISSING when not granted,
   * CERT_UNKNOWN / CERT_REVOKED / CERT_NOT_YET_VALID / CERT_EXPIRED from the injected inventory lookup.
   */
  assertCertificateUsable(
    account: Account,
    certId: string,
    inventoryLookup: InventoryLookup,
  ): Promise<CertificateGrant>;
}

function byDefaultThenAge(a: CertificateGrant, b: CertificateGrant): number {
  if (a.isDefault !== b.isDefault) return a.isDefault ? -1 : 1;
  return a.grantedAt.getTime() - b.grantedAt.getTime();
}

type Deps = { store: Store; now: () => Date; logger: Logger };

async function listGrants(deps: Deps, account: Account): Promise<CertificateGrant[]> {
  return (await deps.store.grants.listForAccount(account.id)).sort(byDefaultThenAge);
}

function log(
  deps: Deps,
  action: 'granted' | 'revoked',
  account: Account,
  certId: string,
  actor?: SignLogActor,
  extra = {},
) {
  return deps.store.signLog.append({
    time: deps.now(),
    action,
    actor: { role: 'admin', ...actor },
    outcome: 'ok',
    details: { account: account.login, accountId: account.id, certId, ...extra },
  });
}

function notGranted(account: Account, certId: string): AppError {
  return new AppError(ErrorCode.GRANT_MISSING, `Certificate ${certId} is not granted to account '${account.login}'`);
}

/** The inventory's id for `ref`, or CERT_UNKNOWN saying where the ids are listed. */
function inventoryId(inventory: readonly Pick<InventoryEntry, 'id'>[], ref: string): string {
  try {
    return findInventoryEntry(inventory, ref).id;
  } catch (error) {
    if (!(error instanceof AppError && error.code === ErrorCode.CERT_UNKNOWN)) throw error;
    throw new AppError(
      ErrorCode.CERT_UNKNOWN,
      `There is no certificate ${ref} in the certificate inventory (the internal CA's certificates and the ` +
        `tokens' last listings): \`signservice cert list\` shows the ids (or Certificates in the control panel)`,
    );
  }
}

async function grant(
  deps: Deps,
  options: {
    account: Account;
    certId: string;
    inventory: readonly Pick<InventoryEntry, 'id'>[];
    isDefault?: boolean;
    actor?: SignLogActor;
  },
): Promise<CertificateGrant> {
  const { account } = options;
  const certId = inventoryId(options.inventory, options.certId);
  const existing = await listGrants(deps, account);
  const previous = existing.find((g) => g.certId === certId);
  const granted: CertificateGrant = {
    accountId: account.id,
    certId,
    // The first grant is the default: an account with grants always has one.
    isDefault: options.isDefault === true || existing.length === 0 || (previous?.isDefault ?? false),
    grantedAt: previous?.grantedAt ?? deps.now(),
  };
  await deps.store.transaction(async () => {
    await deps.store.grants.grant(granted);
    await log(deps, 'granted', account, certId, options.actor, { isDefault: granted.isDefault });
  });
  deps.logger.info({ accountId: account.id, certId, isDefault: granted.isDefault }, 'certificate granted');
  return granted;
}

/** The granted id `ref` names: itself, or the one grant it is a prefix of (8+ digits, as `cert list` shows ids). */
function grantedId(grants: readonly CertificateGrant[], ref: string): string {
  const wanted = ref.trim().toLowerCase();
  if (grants.some((g) => g.certId === ref)) return ref;
  const matches = wanted.length >= 8 ? grants.filter((g) => g.certId.toLowerCase().startsWith(wanted)) : [];
  return matches.length === 1 ? (matches[0] as CertificateGrant).certId : ref;
}

async function revoke(deps: Deps, options: { account: Account; certId: string; actor?: SignLogActor }): Promise<void> {
  const { account } = options;
  const certId = grantedId(await listGrants(deps, account), options.certId);
  await deps.store.transaction(async () => {
    if (!(await deps.store.grants.revoke(account.id, certId))) throw notGranted(account, certId);
    const rest = await listGrants(deps, account);
    const first = rest[0];
    if (first && !rest.some((g) => g.isDefault)) await deps.store.grants.grant({ ...first, isDefault: true });
    await log(deps, 'revoked', account, certId, options.actor);
  });
  deps.logger.info({ accountId: account.id, certId }, 'certificate grant revoked');
}

async function assertCertificateUsable(
  deps: Deps,
  account: Account,
  certId: string,
  inventoryLookup: InventoryLookup,
): Promise<CertificateGrant> {
  const granted = (await deps.store.grants.listForAccount(account.id)).find((g) => g.certId === certId);
  if (!granted) throw notGranted(account, certId);
  const validity = await inventoryLookup(certId);
  if (!validity) {
    throw new AppError(ErrorCode.CERT_UNKNOWN, `Certificate ${certId} is not in the certificate inventory any more`);
  }
  const at = deps.now().getTime();
  if (validity.revoked) throw new AppError(ErrorCode.CERT_REVOKED, `Certificate ${certId} is revoked`);
  if (at < validity.notBefore.getTime()) {
    throw new AppError(
      ErrorCode.CERT_NOT_YET_VALID,
      `Certificate ${certId} is valid only from ${validity.notBefore.toISOString()}`,
    );
  }
  if (at > validity.notAfter.getTime()) {
    throw new AppError(ErrorCode.CERT_EXPIRED, `Certificate ${certId} expired at ${validity.notAfter.toISOString()}`);
  }
  return granted;
}

/** Creates the grant service. */
export function createGrantService(deps: GrantServiceDeps): GrantService {
  const resolved: Deps = {
    store: deps.store,
    now: deps.now ?? (() => new Date()),
    logger: deps.logger ?? silentLogger,
  };
  return {
    grant: (options) => grant(resolved, options),
    revoke: (options) => revoke(resolved, options),
    list: (account) => listGrants(resolved, account),
    assertCertificateUsable: (account, certId, lookup) => assertCertificateUsable(resolved, account, certId, lookup),
  };
}
