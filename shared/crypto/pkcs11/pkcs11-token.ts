/**
 * A PKCS#11 token as a key provider: inventory of its certificates, a `SigningKey` per certificate, health,
 * and recovery when the token is pulled out or our sessions vanish. Production tokens (SafeNet eToken)
 * hold 10+ certificates shared by several people; each certificate is picked by its CKA_ID.
 */
import pkcs11js from 'pkcs11js';
import { AppError, ErrorCode } from '../../errors.js';
import type { KeyAlgorithm, SigningKey } from '../signing-key.js';
import { needsReconnect, tokenFailure } from './pkcs11-error.js';
import { loadPkcs11Module, type Pkcs11Module } from './pkcs11-module.js';
import { SessionPool } from './session-pool.js';
import {
  assertTokenConfig,
  type Pkcs11TokenConfig,
  type Pkcs11TokenOptions,
  type ResolvedTokenOptions,
  resolveTokenOptions,
} from './token-config.js';
import { TokenConnection } from './token-connection.js';
import { absentTokenHealth, presentTokenHealth, type TokenHealth } from './token-health.js';
import { readKeyInfo, toKeyAlgorithm } from './token-key-info.js';
import {
  findCertificate,
  findPrivateKey,
  listCertificateObjects,
  listTokenCertificates,
  type TokenCertificate,
} from './token-objects.js';
import { type SignMechanism, type SignParams, signOnSession } from './token-signature.js';
import { findTokenSlot } from './token-slot.js';

/**
 * Loads the module (once per path) and finds the token; logging in happens on first use or `login()`.
 * @throws AppError TOKEN_MODULE (module path), TOKEN_ABSENT (token not plugged in), INVALID_ARGUMENT.
 */
export async function openToken(config: Pkcs11TokenConfig, options: Pkcs11TokenOptions = {}): Promise<Pkcs11Token> {
  assertTokenConfig(config);
  const resolved = resolveTokenOptions(options);
  return new Pkcs11Token(loadPkcs11Module(config.modulePath), config, resolved);
}

/** One token of a loaded module. Create it with `openToken`. */
export class Pkcs11Token {
  readonly #module: Pkcs11Module;
  readonly #config: Pkcs11TokenConfig;
  readonly #options: ResolvedTokenOptions;
  readonly #connection: TokenConnection;
  readonly #pool: SessionPool;
  /** Private-key lookups of the current connection generation, by CKA_ID hex. */
  #keys = new Map<string, { generation: number; params: SignParams }>();
  /** The RSA mechanism chosen from C_GetMechanismList, once per token. */
  #rsaMechanism: SignMechanism | undefined;
  #closed = false;

  /** Use `openToken`. Finds the token now, so a missing token fails at start-up. */
  constructor(module: Pkcs11Module, config: Pkcs11TokenConfig, options: ResolvedTokenOptions) {
    this.#module = module;
    this.#config = config;
    this.#options = options;
    this.#pool = new SessionPool(options.sessionPoolSize, {
      open: () => module.p11.C_OpenSession(this.#connection.login().slot.slot, pkcs11js.CKF_SERIAL_SESSION),
      close: (session) => module.p11.C_CloseSession(session),
    });
    this.#connection = new TokenConnection(module, config, () => this.#pool.drop());
    this.#run('open', () => this.#connection.connect());
  }

  /** The token as named in messages: `token label "..."` and/or serial. */
  get name(): string {
    return this.#connection.name;
  }

  /**
   * Logs in as the user unless already logged in. Calls C_Login at most once per token object while the
   * PIN is wrong: after TOKEN_PIN_INCORRECT / TOKEN_PIN_LOCKED every later call fails the same way
   * without touching the token, until a new token object is opened with a corrected config.
   */
  login(): void {
    this.#run('C_Login', () => this.#connection.login());
  }

  /** Every X.509 certificate on the token with CKA_ID, label, DER and its private key (if any). */
  listCertificates(): TokenCertificate[] {
    return this.#run('listing certificates', () => {
      const live = this.#connection.login();
      return listTokenCertificates(this.#module.p11, live.session);
    });
  }

  /**
   * The signing key of the certificate with CKA_ID `ckaIdHex`; `chain` is the rest of its chain (issuer
   * first). Signing sessions come from the pool; each signature runs off the event loop.
   * @throws AppError TOKEN_KEY_MISSING (no such certificate, or no private key for it), KEY_UNSUPPORTED.
   */
  signingKey(ckaIdHex: string, chain: Buffer[] = []): SigningKey {
    const id = parseCkaId(ckaIdHex);
    return this.#run('opening the signing key', () => {
      const live = this.#connection.login();
      const certificate = findCertificate(this.#module.p11, live.session, id);
      if (certificate === undefined) {
        throw keyMissing(`${this.name} has no X.509 certificate with CKA_ID ${id.toString('hex')}`);
      }
      const key = findPrivateKey(this.#module.p11, live.session, id);
      if (key === undefined) {
        throw keyMissing(
          `The certificate "${certificate.label}" (CKA_ID ${id.toString('hex')}) on ${this.name} has no private key ` +
            'with the same CKA_ID; it cannot sign. Import the key or choose another certificate.',
        );
      }
      const keyName = `The key of certificate "${certificate.label}" on ${this.name}`;
      const algorithm = toKeyAlgorithm(readKeyInfo(this.#module.p11, live.session, key), keyName);
      const signer = (data: Buffer) => this.#sign(id.toString('hex'), algorithm, data);
      return Object.freeze({
        certificate: certificate.certificate,
        chain: Object.freeze([...chain]),
        algorithm,
        sign: signer,
      });
    });
  }

  /** Presence, login and PIN state, and certificate expiry. Never logs in and never throws. */
  health(): TokenHealth {
    const p11 = this.#module.p11;
    const live = this.#connection.current;
    try {
      if (live !== undefined) {
        const info = p11.C_GetTokenInfo(live.slot.slot);
        const certificates = listCertificateObjects(p11, live.session);
        return presentTokenHealth(info, this.#connection.isLoggedIn(), certificates, this.#options.now());
      }
    } catch {
      // the slot or session we knew is gone; look the token up afresh below
    }
    try {
      const found = findTokenSlot(p11, this.#module.path, this.#config.token);
      const session = p11.C_OpenSession(found.slot, pkcs11js.CKF_SERIAL_SESSION);
      try {
        const certificates = listCertificateObjects(p11, session);
        return presentTokenHealth(found.info, false, certificates, this.#options.now());
      } finally {
        p11.C_CloseSession(session);
      }
    } catch {
      return absentTokenHealth(this.#config.token);
    }
  }

  /** Closes the sessions (ending our login); pending signatures fail. The module stays loaded. */
  close(): void {
    this.#closed = true;
    this.#pool.close();
    this.#connection.close();
  }

  async #sign(idHex: string, algorithm: KeyAlgorithm, data: Buffer): Promise<Buffer> {
    return this.#runAsync('C_Sign', () => {
      const params = this.#signParams(idHex, algorithm);
      return this.#pool.use((session) => signOnSession(this.#module.p11, session, params, data));
    });
  }

  /** The key handle and mechanism for a signature, looked up once per connection generation. */
  #signParams(idHex: string, algorithm: KeyAlgorithm): SignParams {
    const live = this.#connection.login();
    const generation = this.#connection.generation;
    const cached = this.#keys.get(idHex);
    if (cached?.generation === generation) return cached.params;
    const key = findPrivateKey(this.#module.p11, live.session, Buffer.from(idHex, 'hex'));
    if (key === undefined) throw keyMissing(`The private key with CKA_ID ${idHex} is no longer on ${this.name}`);
    const mechanism = algorithm.kind === 'ec' ? 'ecdsa' : this.#chooseRsaMechanism(live.slot.slot);
    const params: SignParams = { key, mechanism, bits: algorithm.bits };
    this.#keys.set(idHex, { generation, params });
    return params;
  }

  /** CKM_SHA256_RSA_PKCS if the token lists it, else CKM_RSA_PKCS over DigestInfo; asked once per token. */
  #chooseRsaMechanism(slot: Buffer): SignMechanism {
    if (this.#options.rsaMechanism === 'rsa-pkcs') return 'rsa-pkcs';
    if (this.#rsaMechanism === undefined) {
      const mechanisms = this.#module.p11.C_GetMechanismList(slot);
      this.#rsaMechanism = mechanisms.includes(pkcs11js.CKM_SHA256_RSA_PKCS) ? 'sha256-rsa-pkcs' : 'rsa-pkcs';
    }
    return this.#rsaMechanism;
  }

  /**
   * Runs a synchronous token step; if it fails because the sessions or the token went away, drops the
   * connection and runs it once more (which finds the token and logs in again). A rejected PIN is an
   * AppError, never a reconnect reason, so it is never retried.
   */
  #run<T>(step: string, operation: () => T): T {
    this.#assertOpen();
    const generation = this.#connection.generation;
    try {
      return operation();
    } catch (error) {
      if (!needsReconnect(error)) throw tokenFailure(error, step, this.name);
      this.#connection.invalidate(generation);
    }
    return this.#retried(step, operation);
  }

  /** `#run` for asynchronous steps (signatures). */
  async #runAsync<T>(step: string, operation: () => Promise<T>): Promise<T> {
    this.#assertOpen();
    const generation = this.#connection.generation;
    try {
      return await operation();
    } catch (error) {
      if (!needsReconnect(error)) throw tokenFailure(error, step, this.name);
      this.#connection.invalidate(generation);
    }
    return await this.#retried(step, operation);
  }

  /** The one retry after a reconnect; a second reconnect-type failure drops the connection and fails. */
  #retried<T>(step: string, operation: () => T): T {
    this.#assertOpen();
    const generation = this.#connection.generation;
    const fail = (error: unknown): never => {
      if (needsReconnect(error)) this.#connection.invalidate(generation);
      throw tokenFailure(error, step, this.name);
    };
    try {
      const result = operation();
      return (result instanceof Promise ? result.catch(fail) : result) as T;
    } catch (error) {
      return fail(error);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new AppError(ErrorCode.TOKEN_FAILURE, `${this.name} was closed; open it again`);
  }
}

/** Validates a CKA_ID given as hex (as `listCertificates` reports it). */
function parseCkaId(ckaIdHex: string): Buffer {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(ckaIdHex)) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, `A CKA_ID must be an even number of hex digits, got "${ckaIdHex}"`);
  }
  return Buffer.from(ckaIdHex, 'hex');
}

function keyMissing(message: string): AppError {
  return new AppError(ErrorCode.TOKEN_KEY_MISSING, message);
}
