/**
 * Options of `startPortalEmulator`, their defaults, and building a portal from a seed.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { EmulatorSettings } from './emulator-core.js';
import { DEFAULT_RATE_LIMIT, type RateLimit } from './leaky-bucket.js';
import { type AppCredentials, type AppStatus, PortalState, type PortalUser } from './portal-state.js';

/** A user to create. */
export interface UserSeed {
  name: string;
  lastName?: string;
  /** @default `<name>.<id>@<domain>` in lower case */
  email?: string;
  /** Portal administrator. @default false */
  admin?: boolean;
  /** @default true */
  active?: boolean;
  /** UI language (`LANG` of placements). @default the portal's language */
  language?: string;
  /** @default '' */
  timeZone?: string;
}

/** A portal to create. */
export interface PortalSeed {
  /** Portal domain, e.g. `portal-a.bitrix24.test`; also its path prefix on the emulator. */
  domain: string;
  /** @default 32 random hex digits */
  memberId?: string;
  /** The app's keys on this portal (a local app). @default generated `local.…` keys, or the emulator's `app` */
  app?: AppCredentials;
  /** Scopes granted to the app. @default crm, bizproc, placement, user_basic, im, disk */
  scope?: string[];
  /** @default 'L' (local app) */
  status?: AppStatus;
  /** @default 'en' */
  languageId?: string;
  /** @default the emulator's rate limit */
  rateLimit?: Partial<RateLimit>;
  /** The portal's first user (id 1), an admin who installs the app. */
  admin?: Partial<UserSeed>;
  /** `redirect_uri` of the app card for the full OAuth flow (`/oauth/authorize/`). */
  redirectUri?: string;
}

/** Options of the emulator. */
export interface PortalEmulatorOptions {
  /** Portals to create at start. @default one portal, `portal-a.bitrix24.test` */
  portals?: PortalSeed[];
  /** One mass-market app installed on every portal (its keys work on all of them). */
  app?: AppCredentials;
  /** @default 3600 */
  accessTokenTtlSeconds?: number;
  /** @default 180 days */
  refreshTokenTtlSeconds?: number;
  /** @default 30 */
  authCodeTtlSeconds?: number;
  /** @default burst 50, 2 per second */
  rateLimit?: Partial<RateLimit>;
  /** How long a `timeout` fault holds the response before dropping the socket. @default 65000 (over the cloud's 60 s) */
  timeoutHoldMs?: number;
  /** Timeout of the emulator's POSTs to the app. @default 30000 */
  outboundTimeoutMs?: number;
  /** @default 256 MiB */
  maxBodyBytes?: number;
  /** `bizproc.event.send` with a used token: `error` (ACCESS_DENIED) or `ignore` (true). @default 'error' */
  usedEventToken?: 'error' | 'ignore';
  /** Clock, unix ms. @default Date.now */
  now?: () => number;
}

/** The app's default scopes: what this project's app asks for [bitrix24.md §9]. */
export const DEFAULT_SCOPE = Object.freeze(['crm', 'bizproc', 'placement', 'user_basic', 'im', 'disk']);

/** Settings with defaults applied. */
export function settingsFrom(options: PortalEmulatorOptions): EmulatorSettings {
  return {
    accessTokenTtlMs: (options.accessTokenTtlSeconds ?? 3600) * 1000,
    refreshTokenTtlMs: (options.refreshTokenTtlSeconds ?? 180 * 86_400) * 1000,
    authCodeTtlMs: (options.authCodeTtlSeconds ?? 30) * 1000,
    rateLimit: { ...DEFAULT_RATE_LIMIT, ...options.rateLimit },
    timeoutHoldMs: options.timeoutHoldMs ?? 65_000,
    outboundTimeoutMs: options.outboundTimeoutMs ?? 30_000,
    maxBodyBytes: options.maxBodyBytes ?? 256 * 1024 * 1024,
    usedEventToken: options.usedEventToken ?? 'error',
  };
}

/** Local-app keys in the documented shape `local.<hex>.<digits>`. */
function localAppKeys(): AppCredentials {
  return {
    clientId: `local.${randomBytes(7).toString('hex')}.${String(randomInt(10_000_000, 100_000_000))}`,
    clientSecret: randomBytes(30).toString('base64url').slice(0, 50),
  };
}

/** Creates a portal with its admin (user 1) and a non-file custom field the app must skip. */
export function createPortal(
  seed: PortalSeed,
  options: PortalEmulatorOptions,
  settings: EmulatorSettings,
): PortalState {
  if (!/^[a-z0-9.-]+$/i.test(seed.domain)) throw new Error(`portal domain "${seed.domain}" is not a host name`);
  const portal = new PortalState({
    domain: seed.domain.toLowerCase(),
    memberId: seed.memberId ?? randomBytes(16).toString('hex'),
    app: seed.app ?? options.app ?? localAppKeys(),
    scope: [...(seed.scope ?? DEFAULT_SCOPE)],
    status: seed.status ?? 'L',
    languageId: seed.languageId ?? 'en',
    rateLimit: { ...settings.rateLimit, ...seed.rateLimit },
  });
  portal.redirectUri = seed.redirectUri;
  addUser(portal, { name: 'Admin', lastName: 'Portal', admin: true, ...seed.admin });
  portal.userFields.set('UF_CRM_NOTE', {
    id: portal.nextId('userfield', 5000),
    fieldName: 'UF_CRM_NOTE',
    userTypeId: 'string',
    multiple: false,
    label: 'Note',
  });
  return portal;
}

/** Adds a user to a portal. */
export function addUser(portal: PortalState, seed: UserSeed): PortalUser {
  const id = portal.nextId('user');
  const user: PortalUser = {
    id,
    name: seed.name,
    lastName: seed.lastName ?? '',
    email: seed.email ?? `${seed.name.toLowerCase().replace(/[^a-z0-9]+/g, '.')}.${id}@${portal.domain}`,
    admin: seed.admin ?? false,
    active: seed.active ?? true,
    language: seed.language ?? portal.identity.languageId,
    timeZone: seed.timeZone ?? '',
  };
  portal.users.set(id, user);
  return user;
}
