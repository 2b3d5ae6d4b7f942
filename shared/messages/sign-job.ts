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
