/**
 * The rate limit of `otp_failed` sign-log entries in MongoDB (AccountRepository.takeOtpFailureTally): one
 * pipeline update adds the failed attempts to the account's tally and takes the whole tally when the last
 * entry is old enough; the caller applies the same rule (`tallyDue`) to the document as it was before the
 * update (findOneAndUpdate returns it), so it knows what was taken without a second, racing read.
 */
import type { Document } from 'mongodb';

/** Whether the tally is taken now: the one rule, applied to the stored state the update saw. */
export function tallyDue(tally: number, loggedAt: Date | null, at: Date, minGapMs: number): boolean {
  return tally > 0 && (minGapMs === 0 || loggedAt === null || at.getTime() - loggedAt.getTime() >= minGapMs);
}

/** One pipeline update of the otp_failed tally: the same rule as tallyDue, in the server's terms. */
export function tallyPipeline(at: Date, add: number, minGapMs: number): Document[] {
  const tally = { $add: [{ $ifNull: ['$otpFailLog.tally', 0] }, add] };
  const last = { $ifNull: ['$otpFailLog.loggedAt', null] };
  const due = {
    $and: [
      { $gt: [tally, 0] },
      {
        $or: [
          { $eq: [minGapMs, 0] },
          { $eq: [last, null] },
          { $gte: [{ $subtract: [{ $literal: at }, last] }, minGapMs] },
        ],
      },
    ],
  };
  return [
    {
      $set: {
        otpFailLog: { tally: { $cond: [due, 0, tally] }, loggedAt: { $cond: [due, { $literal: at }, last] } },
      },
    },
  ];
}
