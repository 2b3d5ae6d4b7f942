/**
 * Builds the next sign log entry from a caller's input and the current last entry: validates the input,
 * keeps only the fields a SignLogInput has (so nothing unexpected, such as a secret riding along on the
 * object, lands in the append-only log), links it (`seq`, `prevHash`), seals it with its hash and chains
 * its MAC to the last entry's. Both adapters call this inside their atomic append, so hash and MAC are
 * computed the same way everywhere.
 */
import { signLogEntryHash } from '../audit/sign-log-chain.js';
import type { SignLogKey } from '../audit/sign-log-key.js';
import { SIGN_LOG_ACTIONS, type SignLogEntry, type SignLogInput } from '../domain/sign-log-entry.js';
import { AppError, ErrorCode } from '../errors.js';

/** What the append needs to know about the current last entry. */
export interface SignLogTail {
  seq: number;
  hash: string;
  /** Undefined only on an entry of the old unkeyed format: the adapters upgrade the log before appending. */
  mac?: string | undefined;
}

const OPTIONAL_OBJECTS = ['document', 'certificate', 'details'] as const;
const OPTIONAL_TEXTS = ['otp', 'requestId', 'clientAddress'] as const;

const DETAIL_KEY = /^[A-Za-z_][\w-]{0,63}$/;

function invalid(message: string): AppError {
  return new AppError(ErrorCode.INVALID_ARGUMENT, `Sign log entry refused: ${message}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** A JSON copy: drops undefined members, so what is hashed is exactly what the store reads back. */
function jsonCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function validate(input: SignLogInput): void {
  if (!(input.time instanceof Date) || Number.isNaN(input.time.getTime())) throw invalid('time is not a valid Date');
  if (!SIGN_LOG_ACTIONS.includes(input.action)) throw invalid(`unknown action '${String(input.action)}'`);
  if (input.outcome !== 'ok' && input.outcome !== 'error') throw invalid(`unknown outcome '${String(input.outcome)}'`);
  if (input.otp !== undefined && input.otp !== 'used' && input.otp !== 'disabled') {
    throw invalid(`unknown otp value '${String(input.otp)}'`);
  }
  if (!isPlainObject(input.actor)) throw invalid('actor must be an object');
  for (const key of OPTIONAL_OBJECTS) {
    if (input[key] !== undefined && !isPlainObject(input[key])) throw invalid(`${key} must be an object`);
  }
  for (const key of ['requestId', 'clientAddress'] as const) {
    if (input[key] !== undefined && typeof input[key] !== 'string') throw invalid(`${key} must be a string`);
  }
  for (const [key, value] of Object.entries(input.details ?? {})) {
    // Plain names only: MongoDB gives '.' and a leading '$' in field names special meanings.
    if (!DETAIL_KEY.test(key)) throw invalid(`details key '${key}' must be a plain name (letters, digits, '_', '-')`);
    const ok =
      typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
    // NaN and Infinity would be written as null and read back differently from what was hashed.
    if (!ok && value !== undefined) throw invalid(`details.${key} must be a string, a finite number or a boolean`);
  }
}

/** The entry that follows `tail` (or the first entry when the log is empty), hash and MAC included. */
export function nextSignLogEntry(input: SignLogInput, tail: SignLogTail | undefined, key: SignLogKey): SignLogEntry {
  validate(input);
  if (tail && tail.mac === undefined) {
    throw new AppError(ErrorCode.INTERNAL, `sign log entry ${tail.seq} has no MAC: the log must be upgraded first`);
  }
  const entry: Omit<SignLogEntry, 'hash'> = {
    seq: tail ? tail.seq + 1 : 1,
    prevHash: tail ? tail.hash : '',
    time: new Date(input.time.getTime()),
    action: input.action,
    actor: jsonCopy(input.actor),
    outcome: input.outcome,
  };
  for (const key of OPTIONAL_OBJECTS) {
    if (input[key] !== undefined) Object.assign(entry, { [key]: jsonCopy(input[key]) });
  }
  for (const key of OPTIONAL_TEXTS) {
    if (input[key] !== undefined) Object.assign(entry, { [key]: input[key] });
  }
  const hash = signLogEntryHash(entry);
  return { ...entry, hash, mac: key.mac({ seq: entry.seq, hash, prevMac: tail?.mac ?? '' }) };
}
