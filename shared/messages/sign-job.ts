/**
 * The queue message that asks a worker to advance one sign request. It carries only the request id and
 * its route: the request itself (with per-step progress) lives in the store, which is what makes
 * redelivery safe. Versioned: a message that fails validation or has an unknown version is parked with
 * a clear reason, never retried.
 */
import { z } from 'zod';

export const ZSignJobV1 = z.object({
  type: z.literal('sign-request'),
  version: z.literal(1),
  requestId: z.string().min(1).max(100),
  /** 'token:<label>' or 'internal' — the queue the job was published to. */
  route: z.string().min(1).max(200),
});
export type TSignJobV1 = z.infer<typeof ZSignJobV1>;

export type ParsedJob = { ok: true; job: TSignJobV1 } | { ok: false; reason: string };

/**
 * The request ids a set of job message ids may belong to: a sign job's message id is its request's id, or
 * that id with a suffix (`<id>.approved`, `<id>.recovered.<time>`), so every part of a message id up to a
 * '.' counts. The recovery sweep and `signservice doctor` use it to find requests that have no job.
 */
export function requestIdsOfMessages(messageIds: Iterable<string>): Set<string> {
  const owners = new Set<string>();
  for (const id of messageIds) {
    for (let dot = id.indexOf('.'); dot !== -1; dot = id.indexOf('.', dot + 1)) owners.add(id.slice(0, dot));
    owners.add(id);
  }
  return owners;
}

/** Parses a raw message body; never throws. */
export function parseSignJob(body: unknown): ParsedJob {
  const version = (body as { version?: unknown } | null)?.version;
  if (version !== undefined && version !== 1)
    return { ok: false, reason: `unknown sign-job version ${String(version)}` };
  const parsed = ZSignJobV1.safeParse(body);
  if (!parsed.success) {
    return {
      ok: false,
      reason: `invalid sign job: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    };
  }
  return { ok: true, job: parsed.data };
}
