/**
 * The parked sign jobs of a deployment, for people: `signservice queue parked` prints them and the admin
 * panel's Requests page can show them (call `listParkedSignJobs` with the queue the process holds and
 * `knownRoutes`). Each names the request it was for, when its body says so, and why it was parked.
 */
import type { Config } from '../config.js';
import type { TokenSnapshotStore } from '../crypto/token-snapshot.js';
import { parseSignJob } from '../messages/sign-job.js';
import type { JobQueue } from '../queue/queue-port.js';
import { INTERNAL_ROUTE, tokenRoute } from '../signing/sign-route.js';

export interface ParkedSignJob {
  route: string;
  messageId: string;
  /** The sign request the job was for (absent when the body names none: not JSON, not a sign job). */
  requestId?: string;
  reason: string;
  attempts: number;
  parkedAt: Date;
}

/**
 * The routes jobs may have been parked on: `internal`, the tokens this configuration serves and the tokens
 * the data directory has seen (their snapshots), plus `extra`.
 */
export async function knownRoutes(
  config: { worker: Pick<Config['worker'], 'tokens'> },
  snapshots: TokenSnapshotStore,
  extra: readonly string[] = [],
): Promise<string[]> {
  const labels = [
    ...config.worker.tokens.flatMap((t) => (t.label ? [t.label] : [])),
    ...(await snapshots.list().catch(() => [])).map((s) => s.tokenLabel),
  ];
  return [...new Set([INTERNAL_ROUTE, ...labels.map(tokenRoute), ...extra])];
}

/** Every parked job of `routes`, oldest first. */
export async function listParkedSignJobs(queue: JobQueue, routes: readonly string[]): Promise<ParkedSignJob[]> {
  const jobs: ParkedSignJob[] = [];
  for (const route of routes) {
    for (const parked of await queue.listParked(route)) {
      const job = parseSignJob(parked.body);
      jobs.push({
        route,
        messageId: parked.messageId,
        ...(job.ok ? { requestId: job.job.requestId } : {}),
        reason: parked.reason,
        attempts: parked.attempts,
        parkedAt: parked.parkedAt,
      });
    }
  }
  return jobs.sort((a, b) => a.parkedAt.getTime() - b.parkedAt.getTime());
}
