/**
 * Signing at a PAdES baseline level [ETSI EN 319 142-1 §6]: B-B (the signature), B-T (plus a signature
 * timestamp from the TSA), B-LT (plus, in a later revision, a DSS with every certificate and the revocation
 * data of the chains) and B-LTA (plus a document timestamp over that). The signing time is never taken from
 * the local clock alone beyond B-B: a TSA or revocation source that fails fails the signature.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { createRevocationFetcher, type RevocationFetcher } from '../../crypto/revocation/revocation-fetcher.js';
import { requestTimestamp, requestTimestampForDigest } from '../../crypto/tsa-client.js';
import { AppError, ErrorCode } from '../../errors.js';
import { PADES_LEVELS, type SigningLevel } from '../../signing/signing-level.js';
import { type SignPdfOptions, type SignPdfResult, signPdfBuffer, signPdfFile } from '../sign-pdf.js';
import { extendPdfBuffer, extendPdfFile } from './extend-pdf.js';

export { PADES_LEVELS, type SigningLevel } from '../../signing/signing-level.js';

/** How to reach the outside world for a level. */
export interface LevelSources {
  level: SigningLevel;
  /** RFC 3161 TSA, required from B-T up. */
  tsaUrl?: string | undefined;
  /** @default an HTTP fetcher with a 10 s time limit */
  fetcher?: RevocationFetcher;
  /** Time limit of one TSA request. @default 10000 */
  timeoutMs?: number;
}

/**
 * Checks a level given by a person (CLI, configuration) and that it has the TSA it needs.
 * @throws AppError INVALID_ARGUMENT naming the problem.
 */
export function checkLevel(level: string, tsaUrl: string | undefined, where: string): SigningLevel {
  if (!(PADES_LEVELS as readonly string[]).includes(level)) {
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      `${where}: the level must be one of ${PADES_LEVELS.join(', ')}, not "${level}"`,
    );
  }
  if (level !== 'B-B' && !tsaUrl) {
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      `${where}: ${level} needs a timestamp authority (a TSA URL); without one only B-B can be made`,
    );
  }
  return level as SigningLevel;
}

function withTimestamp(options: SignPdfOptions, sources: LevelSources): SignPdfOptions {
  if (sources.level === 'B-B' || !sources.tsaUrl) return options;
  const url = sources.tsaUrl;
  const timeout = sources.timeoutMs === undefined ? {} : { timeoutMs: sources.timeoutMs };
  return { ...options, timestamp: (value: Buffer) => requestTimestamp(url, value, timeout) };
}

function extendOptions(sources: LevelSources) {
  const url = sources.tsaUrl!;
  const timeout = sources.timeoutMs === undefined ? {} : { timeoutMs: sources.timeoutMs };
  return {
    level: sources.level as 'B-LT' | 'B-LTA',
    fetcher: sources.fetcher ?? createRevocationFetcher(timeout),
    timestamp: (digest: Buffer) => requestTimestampForDigest(url, digest, timeout),
  };
}

/** Signs a document in memory at `sources.level`. */
export async function signPdfBufferAtLevel(
  input: Buffer,
  options: SignPdfOptions,
  sources: LevelSources,
): Promise<{ bytes: Buffer; result: SignPdfResult }> {
  const signed = await signPdfBuffer(input, withTimestamp(options, sources));
  if (sources.level !== 'B-LT' && sources.level !== 'B-LTA') return signed;
  const { bytes, sha256 } = await extendPdfBuffer(signed.bytes, extendOptions(sources));
  return { bytes, result: { ...signed.result, outputSize: bytes.length, sha256 } };
}

/** Signs `inputPath` into `outputPath` at `sources.level`; the output appears only when every step worked. */
export async function signPdfFileAtLevel(
  inputPath: string,
  outputPath: string,
  options: SignPdfOptions,
  sources: LevelSources,
): Promise<SignPdfResult> {
  if (sources.level !== 'B-LT' && sources.level !== 'B-LTA') {
    return signPdfFile(inputPath, outputPath, withTimestamp(options, sources));
  }
  const dir = path.dirname(path.resolve(outputPath));
  const signedOnly = path.join(dir, `.${path.basename(outputPath)}.${process.pid}.${Date.now()}.signed.tmp`);
  try {
    const result = await signPdfFile(inputPath, signedOnly, withTimestamp(options, sources));
    const { bytes, sha256 } = await extendPdfFile(signedOnly, outputPath, extendOptions(sources));
    return { ...result, outputSize: bytes.length, sha256 };
  } finally {
    await fs.rm(signedOnly, { force: true });
  }
}
