/**
 * The signing pipeline's OTP gate. An account with "OTP disabled" signs without a code; every other
 * account needs a valid, unused code (verify-totp.ts). The pipeline then records the signature with
 * `signatureLogInput`, which names OTP-less signatures 'signed_without_otp' so they stand out in the log.
 */
import type { Account } from '../domain/account.js';
import type { SignLogActor, SignLogCertificate, SignLogDocument, SignLogInput } from '../domain/sign-log-entry.js';
import { AppError, ErrorCode } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import type { Store } from '../store/store-ports.js';
import type { OtpAttemptContext, TotpVerifier } from './verify-totp.js';

/** How a signature was authorised; goes into the sign log entry (`SignLogInput.otp`). */
export interface SignatureAuthorization {
  otp: 'used' | 'disabled';
}

export interface OtpAuthorizer {
  /**
   * Authorises one signature by `account`: returns `{ otp: 'disabled' }` for accounts with OTP disabled,
   * `{ otp: 'used' }` after a valid code, or throws the verifier's AppError (OTP_INVALID, OTP_REPLAYED,
   * OTP_LOCKED, OTP_NOT_ENROLLED, ACCOUNT_DISABLED, ACCOUNT_NOT_FOUND).
   */
  authorizeSignature(
    options: { account: Account; code: string | undefined } & OtpAttemptContext,
  ): Promise<SignatureAuthorization>;
}

/** Creates the authorizer over a verifier; the store is read for the account's current switches. */
export function createOtpAuthorizer(deps: { store: Store; verifier: TotpVerifier; logger?: Logger }): OtpAuthorizer {
  const logger = deps.logger ?? silentLogger;
  return {
    async authorizeSignature(options) {
      // The administrator may have flipped "OTP disabled" or disabled the account since the caller loaded it.
      const account = await deps.store.accounts.get(options.account.id);
      if (!account) throw new AppError(ErrorCode.ACCOUNT_NOT_FOUND, `No account with id ${options.account.id}`);
      if (account.status === 'disabled') {
        throw new AppError(ErrorCode.ACCOUNT_DISABLED, `Account '${account.login}' is disabled by the administrator`);
      }
      if (account.otpDisabled) {
        logger.warn({ accountId: account.id, login: account.login }, 'signature authorised without a one-time code');
        return { otp: 'disabled' };
      }
      if (!options.code?.trim()) {
        // Not an attempt, so not a failure: the person simply has not typed a code yet.
        throw new AppError(ErrorCode.OTP_INVALID, 'Enter the 6-digit one-time code from your authenticator app', {
          details: { reason: 'missing' },
        });
      }
      await deps.verifier.verify({ ...options, account, code: options.code });
      return { otp: 'used' };
    },
  };
}

/** What the pipeline knows about a finished signature. */
export interface SignatureRecord {
  time: Date;
  account: Account;
  authorization: SignatureAuthorization;
  actor?: SignLogActor;
  document?: SignLogDocument;
  certificate?: SignLogCertificate;
  requestId?: string;
  clientAddress?: string;
  /** Free-form facts for the entry (e.g. the batch id of a batch signed with one code). */
  details?: Record<string, string | number | boolean>;
}

/**
 * The sign log entry for a signature: action 'signed' with `otp: 'used'`, or 'signed_without_otp' with
 * `otp: 'disabled'` for accounts that sign without a code.
 */
export function signatureLogInput(record: SignatureRecord): SignLogInput {
  const withoutOtp = record.authorization.otp === 'disabled';
  return {
    time: record.time,
    action: withoutOtp ? 'signed_without_otp' : 'signed',
    actor: { accountId: record.account.id, login: record.account.login, ...record.actor },
    otp: record.authorization.otp,
    outcome: 'ok',
    ...(record.document ? { document: record.document } : {}),
    ...(record.certificate ? { certificate: record.certificate } : {}),
    ...(record.requestId ? { requestId: record.requestId } : {}),
    ...(record.clientAddress ? { clientAddress: record.clientAddress } : {}),
    ...(record.details ? { details: record.details } : {}),
  };
}
