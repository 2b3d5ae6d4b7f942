/**
 * MongoDB driver errors as AppErrors: an unreachable server is STORE_UNAVAILABLE (transient, worth a
 * retry), a duplicate key is recognised by its server code 11000, anything else is INTERNAL. Messages
 * never carry the connection string's password.
 */
import {
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import { AppError, ErrorCode } from '../../errors.js';
import { withErrorMapping } from '../with-error-mapping.js';

/** The server's duplicate key error code (unique index violation). */
const DUPLICATE_KEY = 11000;

/** True for a unique index violation; `indexName` narrows it to one of our named indexes. */
export function isDuplicateKey(error: unknown, indexName?: string): boolean {
  if (!(error instanceof MongoServerError) || error.code !== DUPLICATE_KEY) return false;
  return indexName === undefined || error.message.includes(`index: ${indexName} `);
}

/** The password of a mongodb:// connection string, raw and decoded, to scrub from messages. */
function passwordsOf(url: string): string[] {
  // Greedy up to the last '@' before the host list: an unencoded '@' in the password stays inside.
  const match = /^[a-z+]+:\/\/[^:@/]*:([^/?#]*)@/i.exec(url);
  if (!match?.[1]) return [];
  let decoded = match[1];
  try {
    decoded = decodeURIComponent(match[1]);
  } catch {
    // keep the raw form only
  }
  return [match[1], decoded];
}

/** `text` with every occurrence of the connection string's password replaced by '***'. */
export function scrubPassword(text: string, url: string, extra?: string): string {
  const secrets = [...passwordsOf(url), ...(extra ? [extra] : [])].filter((s) => s.length > 0);
  return secrets.reduce((out, secret) => out.split(secret).join('***'), text);
}

/** Maps a driver error to an AppError; `what` says which operation failed. */
export function mongoError(error: unknown, what: string): AppError {
  if (error instanceof AppError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const unavailable =
    error instanceof MongoNetworkError ||
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoTopologyClosedError;
  return new AppError(unavailable ? ErrorCode.STORE_UNAVAILABLE : ErrorCode.INTERNAL, `${what}: ${message}`, {
    cause: error,
  });
}

/** Every repository method's driver errors become AppErrors (see with-error-mapping.ts). */
export function withMongoErrors<T extends object>(name: string, repository: T): T {
  return withErrorMapping(name, repository, mongoError);
}
