/**
 * The PKCS#11 tokens one process serves (SIGNSERVICE_TOKENS): their PINs read once at start, each token
 * opened when present and re-opened when it comes back, its certificates listed (cached briefly, because a
 * real USB token answers C_FindObjects slowly) and remembered as a snapshot in the data directory, so the
 * inventory still knows an unplugged token's certificates. The PKCS#11 code is imported only when a token
 * is configured: embedded mode without tokens never loads a module.
 */

import { tokenConfig } from '../cli/token-options.js';
import type { Pkcs11Token } from '../crypto/pkcs11/pkcs11-token.js';
import { describeToken, type Pkcs11TokenConfig } from '../crypto/pkcs11/token-config.js';
import type { TokenHealth } from '../crypto/pkcs11/token-health.js';
import {
  findSnapshot,
  readTokenListing,
  type TokenListing,
  type TokenSnapshotStore,
} from '../crypto/token-snapshot.js';
import { AppError, ErrorCode } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import type { ConfiguredToken } from '../token-list-config.js';
import { tokenRoute } from './sign-route.js';

/** One served token. */
export interface ServedToken {
  /** The label, which names the queue route. */
  readonly label: string;
  /** `token:<label>`. */
  readonly route: string;
  readonly modulePath: string;
  /** The open token; opens it (again) if needed. @throws AppError TOKEN_ABSENT, TOKEN_PIN_*, TOKEN_MODULE */
  open(): Promise<Pkcs11Token>;
  /** Presence, login and PIN state; never throws and never logs in. */
  health(): Promise<TokenHealth>;
  /**
   * Whether the token can sign now: present, and logged in (logging in if needed, at most once while the
   * PIN is wrong). Never throws; `problem` says what an operator has to do.
   */
  check(): Promise<{ usable: boolean; health: TokenHealth; problem?: string }>;
  /** Its certificates: listed now (cached for `listingTtlMs`) or, when absent, the last snapshot marked absent. */
  listing(): Promise<TokenListing | undefined>;
}

export interface ServedTokensOptions {
  snapshots?: TokenSnapshotStore;
  logger?: Logger;
  /** How long a listing is reused. @default 10000 */
  listingTtlMs?: number;
}

/** The served tokens; `close()` logs out and finalizes every PKCS#11 module of the process. */
export interface ServedTokens {
  readonly tokens: readonly ServedToken[];
  /** The token serving `route`, if any. */
  byRoute(route: string): ServedToken | undefined;
  close(): Promise<void>;
}

type Pkcs11Api = typeof import('../crypto/pkcs11/pkcs11-token.js') &
  typeof import('../crypto/pkcs11/pkcs11-module.js') &
  typeof import('../crypto/pkcs11/token-health.js');

async function loadPkcs11(): Promise<Pkcs11Api> {
  const [token, module, health] = await Promise.all([
    import('../crypto/pkcs11/pkcs11-token.js'),
    import('../crypto/pkcs11/pkcs11-module.js'),
    import('../crypto/pkcs11/token-health.js'),
  ]);
  return { ...token, ...module, ...health };
}

/**
 * Reads the PIN files and opens the tokens that are present. A token named only by serial must be present
 * now (its label names its queue).
 * @throws AppError FILE_IO / INVALID_ARGUMENT (PIN file), TOKEN_MODULE, CONFIG_INVALID (serial-only token absent).
 */
export async function openServedTokens(
  configured: readonly ConfiguredToken[],
  options: ServedTokensOptions = {},
): Promise<ServedTokens> {
  if (configured.length === 0) return { tokens: [], byRoute: () => undefined, close: async () => {} };
  const pkcs11 = await loadPkcs11();
  const logger = options.logger ?? silentLogger;
  const tokens: ServedToken[] = [];
  try {
    for (const c of configured) {
      const selection = {
        modulePath: c.modulePath,
        pinFile: c.pinFile,
        ...(c.label ? { label: c.label } : {}),
        ...(c.serial ? { serial: c.serial } : {}),
      };
      tokens.push(await servedToken(pkcs11, tokenConfig(selection), options, logger));
    }
  } catch (error) {
    pkcs11.finalizeAllPkcs11Modules();
    throw error;
  }
  const routes = new Map(tokens.map((t) => [t.route, t]));
  return {
    tokens,
    byRoute: (route) => routes.get(route),
    async close() {
      pkcs11.finalizeAllPkcs11Modules();
    },
  };
}

/** Opens the token if it is present; a token named only by serial must be, its label names its queue. */
async function servedToken(
  pkcs11: Pkcs11Api,
  config: Pkcs11TokenConfig,
  options: ServedTokensOptions,
  logger: Logger,
): Promise<ServedToken> {
  const served = new ServedPkcs11Token(pkcs11, config, options, logger);
  try {
    await served.open();
  } catch (error) {
    if (!(error instanceof AppError && error.code === ErrorCode.TOKEN_ABSENT)) throw error;
    if (!config.token.label) {
      throw new AppError(
        ErrorCode.CONFIG_INVALID,
        `The ${served.name} is not present, and without its label the worker cannot tell which queue is its own: add "label" to its entry in SIGNSERVICE_TOKENS`,
      );
    }
    logger.warn({ device: served.name }, 'configured token is not present; its jobs wait until it is plugged in');
  }
  served.label = config.token.label ?? (await served.open()).health().label;
  return served;
}

/** One configured token: opened lazily (again after an absence), its listing cached and remembered. */
class ServedPkcs11Token implements ServedToken {
  label = '';
  readonly name: string;
  #open: Promise<Pkcs11Token> | undefined;
  #cached: { listing: TokenListing; at: number } | undefined;
  /** Certificates of the last saved snapshot, so an unchanged token is not rewritten every time. */
  #savedShape: string | undefined;

  constructor(
    private readonly pkcs11: Pkcs11Api,
    private readonly config: Pkcs11TokenConfig,
    private readonly options: ServedTokensOptions,
    private readonly logger: Logger,
  ) {
    this.name = describeToken(config.token);
  }

  get route(): string {
    return tokenRoute(this.label);
  }

  get modulePath(): string {
    return this.config.modulePath;
  }

  /** One open attempt at a time; a failed one (token absent) is forgotten, so the next call tries again. */
  open(): Promise<Pkcs11Token> {
    this.#open ??= this.pkcs11.openToken(this.config).catch((error: unknown) => {
      this.#open = undefined;
      throw error;
    });
    return this.#open;
  }

  async health(): Promise<TokenHealth> {
    try {
      return (await this.open()).health();
    } catch {
      return this.pkcs11.absentTokenHealth(this.config.token);
    }
  }

  async check(): Promise<{ usable: boolean; health: TokenHealth; problem?: string }> {
    try {
      (await this.open()).login();
      return { usable: true, health: await this.health() };
    } catch (error) {
      const problem = error instanceof AppError ? error.message : String(error);
      return { usable: false, health: await this.health(), problem };
    }
  }

  async listing(): Promise<TokenListing | undefined> {
    const ttl = this.options.listingTtlMs ?? 10_000;
    if (this.#cached && Date.now() - this.#cached.at < ttl) return this.#cached.listing;
    try {
      const listing = readTokenListing(await this.open(), this.config.modulePath);
      this.#cached = { listing, at: Date.now() };
      await this.#remember(listing);
      return listing;
    } catch (error) {
      this.#cached = undefined;
      const gone =
        error instanceof AppError && [ErrorCode.TOKEN_ABSENT, ErrorCode.TOKEN_FAILURE].includes(error.code as never);
      if (gone) return this.#remembered();
      throw error;
    }
  }

  /** Saves the snapshot when the token's certificates changed (best effort: it only helps the inventory). */
  async #remember(listing: TokenListing): Promise<void> {
    const shape = JSON.stringify(listing.certificates.map((c) => [c.ckaId, c.hasPrivateKey, c.certificate.length]));
    if (!this.options.snapshots || shape === this.#savedShape) return;
    try {
      await this.options.snapshots.save(listing);
      this.#savedShape = shape;
    } catch (error) {
      this.logger.warn({ device: this.name, error }, 'could not save the token snapshot');
    }
  }

  /** The last snapshot of this token, marked absent. */
  async #remembered(): Promise<TokenListing | undefined> {
    const snapshots = this.options.snapshots;
    const snapshot = snapshots
      ? findSnapshot(await snapshots.list(), this.config.modulePath, this.config.token)
      : undefined;
    return snapshot ? { ...snapshot, present: false } : undefined;
  }
}
