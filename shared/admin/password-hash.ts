/**
 * Operator passwords: scrypt from node:crypto [RFC 7914] with a random 16-byte salt. The parameters travel
 * in the stored string (`scrypt$N$r$p$salt$hash`), so they can be raised later without breaking old hashes.
 * N = 2^15, r = 8, p = 1: about 32 MiB and ~0.1 s per check here, the cost OWASP suggests for scrypt.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { AppError, ErrorCode } from '../errors.js';

const PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_BYTES = 32;

function derive(password: string, salt: Buffer, p: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, { ...p, maxmem: 128 * p.N * p.r * 2 }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** Rules a new password must meet (checked when an operator is created). */
export function assertAcceptablePassword(password: string): void {
  if (password.length < 12) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, 'The password must have at least 12 characters');
  }
  if (password.length > 1024)
    throw new AppError(ErrorCode.INVALID_ARGUMENT, 'The password is longer than 1024 characters');
}

/** Hashes a password for storage. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** A hash of a random password: checked against when the login is unknown, so timing does not tell. */
export const DUMMY_PASSWORD_HASH = hashPassword(randomBytes(16).toString('hex'));

/** Whether `password` matches the stored hash (constant-time comparison). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await derive(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}
