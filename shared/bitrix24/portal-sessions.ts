/**
 * The tokens the client uses for each portal, and refreshing them one at a time across processes.
 *
 * Bitrix24 rotates the refresh token on every refresh and the old one stops working (reference §1.5), so two
 * processes refreshing with the same token would lock the portal out. A refresh therefore runs (1) once per
 * portal in this process (concurrent callers share one promise) and (2) under the store's refresh lease,
 * across processes. Whoever waits for the lease re-reads the portal: when its version moved on, someone else
 * already refreshed (or the app was reinstalled) and those tokens are used without a refresh of our own.
 * The new pair is stored with compare-and-set on the version read under the lease.
 */
import type { MasterKey } from '../crypto/master-key.js';
import type { Portal } from '../domain/portal.js';
import { AppError, ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { PortalRepository } from '../store/store-ports.js';
import { checkClientEndpoint, checkServerEndpoint, type EndpointPolicy } from './endpoint-policy.js';
import { requestTokenRefresh } from './oauth-refresh.js';
import { openPortalTokens, sealPortalTokens } from './portal-tokens.js';

/** What a call needs: where to send it and with which token (kept in memory only). */
export interface PortalSession {
  readonly memberId: string;
  /** The portal record's version these tokens were read at. */
  readonly version: number;
  readonly clientEndpoint: string;
  readonly accessToken: string;
}

interface CachedSession extends PortalSession {
  readonly domain: string;
  readonly serverEndpoint: string;
  readonly refreshToken: string;
}

export interface PortalSessionsDeps {
  portals: PortalRepository;
  masterKey: MasterKey;
  app: { clientId: string; clientSecret: string };
  policy: EndpointPolicy;
  logger: Logger;
  /** This process's name on the refresh lease. */
  owner: string;
  fetch?: typeof fetch;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** How long a lease lasts unless released; longer than a refresh can take. @default 30000 */
  lockTtlMs?: number;
  /** @default 15000 */
  refreshTimeoutMs?: number;
}

const STORE_ATTEMPTS = 3;

/** Per-portal token cache with the cross-process refresh protocol. */
export class PortalSessions {
  readonly #cache = new Map<string, CachedSession>();
  readonly #refreshing = new Map<string, Promise<PortalSession>>();

  constructor(private readonly deps: PortalSessionsDeps) {}

  /** The cached session of `memberId`, or the stored one. @throws AppError B24_AUTH_FAILED when not installed */
  async current(memberId: string): Promise<PortalSession> {
    return this.#cache.get(memberId) ?? this.load(memberId);
  }

  /** Drops the cached tokens (after a reinstall or uninstall seen elsewhere). */
  forget(memberId: string): void {
    this.#cache.delete(memberId);
  }

  /**
   * Fresh tokens after `stale` was refused with expired_token/invalid_token: another process's (or a
   * reinstall's) newer tokens when there are any, else exactly one refresh across all processes.
   */
  async refreshAfter(stale: PortalSession): Promise<PortalSession> {
    const running = this.#refreshing.get(stale.memberId);
    if (running) return running;
    const refresh = this.refreshUnderLease(stale).finally(() => this.#refreshing.delete(stale.memberId));
    this.#refreshing.set(stale.memberId, refresh);
    return refresh;
  }

  private async load(memberId: string): Promise<CachedSession> {
    const portal = await this.deps.portals.get(memberId);
    if (portal?.status !== 'installed' || !portal.tokens) {
      this.#cache.delete(memberId);
      throw new AppError(
        ErrorCode.B24_AUTH_FAILED,
        `Bitrix24 portal ${memberId} has no stored tokens: the app is not installed there (or was uninstalled)`,
        { details: { memberId } },
      );
    }
    const session = this.sessionOf(portal);
    this.#cache.set(memberId, session);
    return session;
  }

  private sessionOf(portal: Portal): CachedSession {
    const pair = openPortalTokens(this.deps.masterKey, portal.memberId, portal.tokens as NonNullable<Portal['tokens']>);
    return {
      memberId: portal.memberId,
      version: portal.version,
      domain: portal.domain,
      // Checked again on every load: a record written before a policy change must not bypass it.
      clientEndpoint: checkClientEndpoint(portal.clientEndpoint, portal.domain, this.deps.policy),
      serverEndpoint: checkServerEndpoint(portal.serverEndpoint, this.deps.policy),
      accessToken: pair.accessToken,
      refreshToken: pair.refreshToken,
    };
  }

  private async refreshUnderLease(stale: PortalSession): Promise<PortalSession> {
    const { portals, owner } = this.deps;
    const now = this.deps.now ?? Date.now;
    const sleep = this.deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const ttl = this.deps.lockTtlMs ?? 30_000;
    const deadline = now() + ttl + 5_000;
    for (;;) {
      const seen = await this.load(stale.memberId);
      if (seen.version !== stale.version) return seen;
      if (await portals.acquireRefreshLock(stale.memberId, owner, ttl)) {
        try {
          const current = await this.load(stale.memberId);
          return current.version !== stale.version ? current : await this.refreshNow(current);
        } finally {
          await portals.releaseRefreshLock(stale.memberId, owner).catch(() => undefined);
        }
      }
      if (now() > deadline) {
        throw new AppError(
          ErrorCode.B24_UNAVAILABLE,
          `Bitrix24 portal ${stale.memberId}: another process has been refreshing its tokens for too long`,
          { details: { memberId: stale.memberId } },
        );
      }
      await sleep(100 + Math.floor(Math.random() * 100));
    }
  }

  /** The refresh itself, under the lease: OAuth call, then compare-and-set of the sealed new pair. */
  private async refreshNow(current: CachedSession): Promise<CachedSession> {
    const { memberId } = current;
    const now = this.deps.now ?? Date.now;
    const grant = await requestTokenRefresh({
      serverEndpoint: current.serverEndpoint,
      memberId,
      clientId: this.deps.app.clientId,
      clientSecret: this.deps.app.clientSecret,
      refreshToken: current.refreshToken,
      timeoutMs: this.deps.refreshTimeoutMs ?? 15_000,
      ...(this.deps.fetch ? { fetch: this.deps.fetch } : {}),
      now,
    });
    const update = {
      tokens: sealPortalTokens(this.deps.masterKey, memberId, grant, grant.expiresAt),
      at: new Date(now()),
      // Endpoints from the OAuth server are taken only when they pass the same policy as install payloads.
      ...(grant.clientEndpoint
        ? { clientEndpoint: checkClientEndpoint(grant.clientEndpoint, current.domain, this.deps.policy) }
        : {}),
      ...(grant.serverEndpoint ? { serverEndpoint: checkServerEndpoint(grant.serverEndpoint, this.deps.policy) } : {}),
      ...(grant.scope ? { scope: grant.scope } : {}),
    };
    for (let attempt = 1; ; attempt++) {
      try {
        const saved = await this.deps.portals.updateTokens(memberId, update, current.version);
        this.deps.logger.info({ memberId, saved }, 'bitrix24 tokens refreshed');
        // Not saved means a reinstall replaced the record meanwhile: its tokens win. Either way, the store is the truth.
        return await this.load(memberId);
      } catch (e) {
        const code = e instanceof AppError ? e.code : ErrorCode.INTERNAL;
        if (code !== ErrorCode.STORE_UNAVAILABLE || attempt >= STORE_ATTEMPTS) {
          this.deps.logger.error(
            { memberId, code },
            'bitrix24 refreshed tokens could not be stored; the portal may need a reinstall',
          );
          throw e;
        }
      }
    }
  }
}
