/**
 * The sign log's chain status as the panel shows it ("intact, N entries, last checkpoint …" or where it
 * breaks), made from the report of the sign log's own verifier (shared/audit/verify-sign-log.ts, the same
 * one `signservice audit verify` prints): the panel says what the verifier found, nothing of its own.
 */
import { z } from 'zod';
import type { SignLogReport } from '../../../shared/audit/verify-sign-log.js';

export const ZChainStatus = z.object({
  intact: z.boolean(),
  format: z.enum(['keyed', 'unkeyed']).describe('unkeyed: an old log the service upgrades at its next start'),
  entries: z.number().describe('Entries verified (all of them when intact)'),
  lastHash: z.string().nullable(),
  checkpoints: z.number(),
  lastCheckpoint: z
    .object({
      number: z.number(),
      seq: z.number(),
      time: z.string(),
      timestampedBy: z.string().nullable(),
      timestampedAt: z.string().nullable(),
    })
    .nullable(),
  afterLastCheckpoint: z.number().describe('Entries after the last checkpoint (covered by the MAC chain only)'),
  brokenAt: z.number().nullable().describe('The first entry that does not verify'),
  brokenCheckpoint: z.number().nullable().describe('The checkpoint that does not verify, if that is the problem'),
  reason: z.string().nullable(),
});

export function chainStatus(report: SignLogReport): z.input<typeof ZChainStatus> {
  const checkpoint = report.lastCheckpoint;
  return {
    intact: report.ok,
    format: report.format,
    entries: report.entries,
    lastHash: report.head?.hash ?? null,
    checkpoints: report.checkpoints,
    lastCheckpoint: checkpoint
      ? {
          number: checkpoint.number,
          seq: checkpoint.seq,
          time: checkpoint.time.toISOString(),
          timestampedBy: checkpoint.timestamp?.authority ?? null,
          timestampedAt: checkpoint.timestamp?.time.toISOString() ?? null,
        }
      : null,
    afterLastCheckpoint: report.afterLastCheckpoint,
    brokenAt: report.ok ? null : (report.problem?.seq ?? null),
    brokenCheckpoint: report.ok ? null : (report.problem?.checkpoint ?? null),
    reason: report.ok ? null : (report.problem?.reason ?? null),
  };
}
