/**
 * The sign log's chain status as the panel shows it ("intact, N entries, last checkpoint …" or where it
 * breaks), made from the report of the sign log's own verifier (shared/audit/verify-sign-log.ts, the same
 * one `signservice audit verify` prints): the panel says what the verifier found, nothing of its own.
 *
 * The log is one chain for every portal, so its numbers — entries, entry numbers, checkpoint numbers, the
 * head's hash, where it breaks and why — measure every portal's activity. A caller confined to one portal
 * gets the `portal` form: intact or not, when the last checkpoint was made, and the count of its own
 * portal's entries only; operators and unscoped tokens get the `service` form with everything.
 */
import { z } from 'zod';
import type { SignLogReport } from '../../../shared/audit/verify-sign-log.js';

const ZServiceChainStatus = z.object({
  scope: z.literal('service'),
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

const ZPortalChainStatus = z.object({
  scope: z.literal('portal'),
  intact: z.boolean().describe('Whether the whole log (every portal’s) verifies'),
  entries: z.number().describe('Entries of the caller’s portal'),
  lastCheckpointAt: z.string().nullable(),
  timestampedBy: z.string().nullable(),
  timestampedAt: z.string().nullable(),
});

export const ZChainStatus = z.discriminatedUnion('scope', [ZServiceChainStatus, ZPortalChainStatus]);

/** Everything the verifier found, for operators and unscoped tokens. */
export function chainStatus(report: SignLogReport): z.input<typeof ZServiceChainStatus> {
  const checkpoint = report.lastCheckpoint;
  return {
    scope: 'service',
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

/** What a portal's administrator may know: intact or not, the last checkpoint's time, their own entry count. */
export function portalChainStatus(report: SignLogReport, portalEntries: number): z.input<typeof ZPortalChainStatus> {
  const checkpoint = report.ok ? report.lastCheckpoint : undefined;
  return {
    scope: 'portal',
    intact: report.ok,
    entries: portalEntries,
    lastCheckpointAt: checkpoint?.time.toISOString() ?? null,
    timestampedBy: checkpoint?.timestamp?.authority ?? null,
    timestampedAt: checkpoint?.timestamp?.time.toISOString() ?? null,
  };
}
