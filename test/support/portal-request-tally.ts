/**
 * What a portal's request budget was spent on, from the emulator's request log: every HTTP request that
 * reached the portal (REST calls and file downloads; a `batch` is one request, as for Bitrix24's leaky bucket,
 * reference §1.7/§1.8), the direct calls by method, and the commands that travelled inside batches by method.
 */
import type { RecordedRequest } from './bitrix24-emulator/index.js';

export interface PortalTally {
  /** Requests the portal received (REST + downloads), refused ones included. */
  requests: number;
  downloads: number;
  batches: number;
  /** Commands inside the batches, in all. */
  commands: number;
  /** Direct (non-batch) REST calls by method. */
  direct: Record<string, number>;
  /** Commands inside batches by method. */
  inBatch: Record<string, number>;
  /** Requests the portal refused with 503 QUERY_LIMIT_EXCEEDED. */
  queryLimitExceeded: number;
  /** Bytes of the largest batch's commands (the body the portal had to take in one request). */
  largestBatchBytes: number;
}

const bump = (map: Record<string, number>, key: string) => {
  map[key] = (map[key] ?? 0) + 1;
};

/** The command strings of a recorded `batch` request. */
export function batchCommands(record: RecordedRequest): string[] {
  const cmd = record.params.cmd;
  if (Array.isArray(cmd)) return cmd.map(String);
  return cmd && typeof cmd === 'object' ? Object.values(cmd as Record<string, unknown>).map(String) : [];
}

/** Tallies the portal requests among `records`. */
export function tallyPortalRequests(records: readonly RecordedRequest[]): PortalTally {
  const tally: PortalTally = {
    requests: 0,
    downloads: 0,
    batches: 0,
    commands: 0,
    direct: {},
    inBatch: {},
    queryLimitExceeded: 0,
    largestBatchBytes: 0,
  };
  for (const r of records) {
    if (r.kind !== 'rest' && r.kind !== 'download') continue;
    tally.requests++;
    if (r.rateLimited || r.error === 'QUERY_LIMIT_EXCEEDED') tally.queryLimitExceeded++;
    if (r.kind === 'download') {
      tally.downloads++;
      continue;
    }
    if (r.method !== 'batch') {
      bump(tally.direct, r.method ?? '?');
      continue;
    }
    tally.batches++;
    const commands = batchCommands(r);
    tally.commands += commands.length;
    tally.largestBatchBytes = Math.max(
      tally.largestBatchBytes,
      commands.reduce((sum, c) => sum + c.length, 0),
    );
    for (const command of commands) bump(tally.inBatch, command.split('?')[0]?.toLowerCase() ?? '?');
  }
  return tally;
}
