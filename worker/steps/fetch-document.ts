/**
 * Step "fetch": reads the document through its gateway and records its SHA-256 (the request moves from
 * approved to signing). The same write reserves the first signing attempt (`signAttempts`), so the sign
 * step of this run needs no write of its own before it uses the key. The bytes stay in memory for the sign
 * step of the same run with the SHA-256 state over them, which the signing engine continues (the signature's
 * digest and the output's hash), so a fresh run hashes every input byte once; a later run that finds the step
 * done fetches again and compares the hash (sign-document.ts).
 */
import { createHash, type Hash } from 'node:crypto';
import { recordStep, transition } from '../../shared/domain/sign-request.js';
import type { PipelineStep } from '../pipeline-context.js';

/** SHA-256 of bytes, lower-case hex. */
export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Input bytes with their SHA-256 (hex) and the hash state over them, which the sign step continues. */
export interface HashedInput {
  readonly bytes: Buffer;
  readonly sha256: string;
  /** Has consumed exactly `bytes`; never digested or updated (use copies). */
  readonly hash: Hash;
}

/** Hashes `bytes` once, keeping the state for the signature's digest and the output's hash (sign-pdf.ts). */
export function hashInput(bytes: Buffer): HashedInput {
  const hash = createHash('sha256').update(bytes);
  return { bytes, sha256: hash.copy().digest('hex'), hash };
}

export const fetchDocument: PipelineStep = {
  name: 'fetch',
  done: (request) => request.steps.fetch !== undefined,
  async run(ctx, request) {
    const { documents } = ctx.deps;
    // A loosely named document (a robot's "first file field with a PDF") is stored as the exact file read.
    const { bytes: input, ref: document } = documents.fetchResolved
      ? await documents.fetchResolved(request.document)
      : { bytes: await documents.fetch(request.document), ref: request.document };
    const at = ctx.now();
    const hashed = hashInput(input);
    const { sha256 } = hashed;
    const recorded = recordStep(request, 'fetch', { at, data: { sha256, bytes: input.length } });
    const patch = { inputSha256: sha256, document, signAttempts: (request.signAttempts ?? 0) + 1 };
    const saved = await ctx.save(transition(recorded, 'signing', at, patch), request);
    ctx.input = hashed;
    ctx.signAttemptReserved = true;
    ctx.log.info({ step: 'fetch', inputSha256: sha256, bytes: input.length }, 'document fetched');
    return saved;
  },
};
