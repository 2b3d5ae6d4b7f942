/**
 * Loading a PKCS#11 module (the vendor's .so) once per path per process. Cryptoki keeps global state per
 * process: a second C_Initialize returns CKR_CRYPTOKI_ALREADY_INITIALIZED (PKCS#11 v2.40, C_Initialize), and
 * SoftHSM2 crashed when unloaded without C_Finalize (SoftHSMv2 #171), so every token shares one module.
 */
import type { PKCS11 } from 'pkcs11js';
import pkcs11js from 'pkcs11js';
import { AppError, ErrorCode } from '../../errors.js';
import { ckrCode, ckrName } from './pkcs11-error.js';

/** A loaded and initialised PKCS#11 module, shared by every token that uses it in this process. */
export class Pkcs11Module {
  /** The module path it was loaded from. */
  readonly path: string;
  /** The pkcs11js handle; tokens call Cryptoki through it. */
  readonly p11: PKCS11;
  /** False when someone else in this process had already initialised the library (we adopted it). */
  readonly initializedByUs: boolean;
  #finalized = false;

  constructor(path: string, p11: PKCS11, initializedByUs: boolean) {
    this.path = path;
    this.p11 = p11;
    this.initializedByUs = initializedByUs;
  }

  /** True after `finalize()`; a finalized module must be loaded again with `loadPkcs11Module`. */
  get finalized(): boolean {
    return this.#finalized;
  }

  /**
   * Shutdown: C_Finalize (only if we initialised the library) and unload. Every session and login of
   * this process on the module's tokens ends. Safe to call twice.
   */
  finalize(): void {
    if (this.#finalized) return;
    this.#finalized = true;
    if (modules.get(this.path) === this) modules.delete(this.path);
    try {
      if (this.initializedByUs) this.p11.C_Finalize();
    } finally {
      this.p11.close();
    }
  }
}

const modules = new Map<string, Pkcs11Module>();

/**
 * Returns the module loaded from `path`, loading and initialising it on first use. Initialises with
 * CKF_OS_LOCKING_OK because pkcs11js runs C_SignAsync on libuv threads: without it the module assumes a
 * single-threaded caller (PKCS#11 v2.40, CK_C_INITIALIZE_ARGS), and SoftHSM2 corrupted its heap under concurrent signing.
 * @throws AppError TOKEN_MODULE naming the path when the module cannot be loaded or initialised.
 */
export function loadPkcs11Module(path: string): Pkcs11Module {
  const existing = modules.get(path);
  if (existing !== undefined) return existing;
  const p11 = new pkcs11js.PKCS11();
  try {
    p11.load(path);
  } catch (error) {
    throw moduleError(path, 'cannot be loaded', error);
  }
  let initializedByUs = true;
  try {
    p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch (error) {
    if (ckrCode(error) !== pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      p11.close();
      throw moduleError(path, 'was loaded but C_Initialize failed', error);
    }
    initializedByUs = false; // another user in this process initialised it: adopt, and leave C_Finalize to them
  }
  const module = new Pkcs11Module(path, p11, initializedByUs);
  modules.set(path, module);
  return module;
}

/** The module loaded from `path` in this process, if any (without loading it). */
export function loadedPkcs11Module(path: string): Pkcs11Module | undefined {
  return modules.get(path);
}

/** Finalises every module loaded in this process (ordered shutdown of a worker). */
export function finalizeAllPkcs11Modules(): void {
  for (const module of [...modules.values()]) module.finalize();
}

function moduleError(path: string, what: string, error: unknown): AppError {
  return new AppError(
    ErrorCode.TOKEN_MODULE,
    `The PKCS#11 module "${path}" ${what} (${ckrName(error)}). ` +
      'Check the module path in the token configuration and that the token middleware is installed.',
    { cause: error, details: { modulePath: path } },
  );
}
