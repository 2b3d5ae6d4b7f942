/**
 * The token flags every token-using command shares, with environment fallbacks (flags win):
 * `--pkcs11-module` / SIGNSERVICE_PKCS11_MODULE, `--token` / SIGNSERVICE_TOKEN_LABEL, `--token-serial` /
 * SIGNSERVICE_TOKEN_SERIAL, `--pin-file` / SIGNSERVICE_TOKEN_PIN_FILE. A PIN on the command line is not
 * offered: it would show in `ps` and shell history. The PIN is read here and never printed.
 */
import { settingsEnvironment } from '../config-file.js';
import type { Pkcs11Token } from '../crypto/pkcs11/pkcs11-token.js';
import type { Pkcs11TokenConfig } from '../crypto/pkcs11/token-config.js';
import { AppError, ErrorCode } from '../errors.js';
import { invalid, readFileFor } from './cli-args.js';

/** parseArgs options of the token flags. */
export const TOKEN_OPTIONS = {
  'pkcs11-module': { type: 'string' },
  token: { type: 'string' },
  'token-serial': { type: 'string' },
  'pin-file': { type: 'string' },
} as const;

/** Help lines of the token flags. */
export const TOKEN_HELP = `Token (each flag overrides its environment variable):
  --pkcs11-module PATH    PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so   (SIGNSERVICE_PKCS11_MODULE)
  --token LABEL           token label                                           (SIGNSERVICE_TOKEN_LABEL)
  --token-serial SERIAL   token serial number, with or instead of the label     (SIGNSERVICE_TOKEN_SERIAL)
  --pin-file FILE         file whose first line is the user PIN                 (SIGNSERVICE_TOKEN_PIN_FILE)`;

/** The token named by flags and environment; every field optional until `tokenConfig` checks it. */
export interface TokenSelection {
  modulePath?: string;
  label?: string;
  serial?: string;
  pinFile?: string;
}

type Values = Record<string, string | boolean | undefined>;

/** Merges the token flags over the environment. */
export function tokenSelection(values: Values, env: NodeJS.ProcessEnv = settingsEnvironment()): TokenSelection {
  const pick = (flag: string, variable: string) => {
    const value = typeof values[flag] === 'string' ? (values[flag] as string) : env[variable];
    return value === undefined || value.trim() === '' ? undefined : value;
  };
  const selection: TokenSelection = {};
  const modulePath = pick('pkcs11-module', 'SIGNSERVICE_PKCS11_MODULE');
  const label = pick('token', 'SIGNSERVICE_TOKEN_LABEL');
  const serial = pick('token-serial', 'SIGNSERVICE_TOKEN_SERIAL');
  const pinFile = pick('pin-file', 'SIGNSERVICE_TOKEN_PIN_FILE');
  if (modulePath) selection.modulePath = modulePath;
  if (label) selection.label = label;
  if (serial) selection.serial = serial;
  if (pinFile) selection.pinFile = pinFile;
  return selection;
}

/** Whether a module or a token was named at all (then `tokenConfig` insists on the rest). */
export function tokenRequested(selection: TokenSelection): boolean {
  return selection.modulePath !== undefined || selection.label !== undefined || selection.serial !== undefined;
}

/**
 * The token config, with `fallback` filling in what the selection leaves out (e.g. the token an
 * inventory entry lives on). Reads the PIN file.
 * @throws AppError INVALID_ARGUMENT naming the missing flag; FILE_IO for an unreadable PIN file.
 */
export function tokenConfig(
  selection: TokenSelection,
  fallback?: { modulePath: string; label: string; serial: string },
): Pkcs11TokenConfig {
  const modulePath = selection.modulePath ?? fallback?.modulePath;
  const named = selection.label !== undefined || selection.serial !== undefined;
  const label = named ? selection.label : fallback?.label;
  const serial = named ? selection.serial : fallback?.serial;
  if (!modulePath) throw invalid('the PKCS#11 module is missing: --pkcs11-module PATH or SIGNSERVICE_PKCS11_MODULE');
  if (!label && !serial)
    throw invalid('the token is missing: --token LABEL (or --token-serial SERIAL) or SIGNSERVICE_TOKEN_LABEL');
  if (!selection.pinFile) throw invalid('the token PIN is missing: --pin-file FILE or SIGNSERVICE_TOKEN_PIN_FILE');
  const token: Pkcs11TokenConfig['token'] = {};
  if (label) token.label = label;
  if (serial) token.serial = serial;
  return { modulePath, token, pin: readPin(selection.pinFile) };
}

/** The first line of the PIN file, without its line end. */
function readPin(file: string): string {
  const pin = readFileFor('PIN file', file).toString('utf8').split(/\r?\n/, 1)[0] ?? '';
  if (pin === '') throw new AppError(ErrorCode.INVALID_ARGUMENT, `The PIN file ${file} is empty`);
  return pin;
}

/** An open token and how to let go of it (closes the sessions and finalizes the module). */
export interface OpenedToken {
  token: Pkcs11Token;
  close(): Promise<void>;
}

/**
 * Opens the token; the PKCS#11 code is imported only now, so commands that use no token never load it.
 * @throws AppError TOKEN_MODULE, TOKEN_ABSENT, INVALID_ARGUMENT.
 */
export async function openConfiguredToken(config: Pkcs11TokenConfig): Promise<OpenedToken> {
  const [{ openToken }, { finalizeAllPkcs11Modules }] = await Promise.all([
    import('../crypto/pkcs11/pkcs11-token.js'),
    import('../crypto/pkcs11/pkcs11-module.js'),
  ]);
  try {
    const token = await openToken(config);
    return {
      token,
      close: async () => {
        token.close();
        finalizeAllPkcs11Modules();
      },
    };
  } catch (error) {
    finalizeAllPkcs11Modules();
    throw error;
  }
}

/** Finalizes every PKCS#11 module this process loaded (safe when none was). */
export async function finalizeTokens(): Promise<void> {
  const { finalizeAllPkcs11Modules } = await import('../crypto/pkcs11/pkcs11-module.js');
  finalizeAllPkcs11Modules();
}
