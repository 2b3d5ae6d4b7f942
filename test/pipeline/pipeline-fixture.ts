/**
 * A data directory prepared as an administrator would: signer accounts (enrolled through the enrollment
 * service like a person with an authenticator app, or with OTP disabled) holding a grant for a certificate,
 * in the real embedded store that the child processes open too. `nextCode()` is what the person's
 * authenticator shows next: the code of the step after the last one used (or of the current step, when
 * the signer comes back later), so a test can make several submissions in one 30-second window without
 * tripping the replay guard, and a signer enrolled a minute before still has a code that is accepted.
 */
import crypto from 'node:crypto';
import * as OTPAuth from 'otpauth';
import { createAccountService } from '../../shared/accounts/account-service.js';
import type { MasterKey } from '../../shared/crypto/master-key.js';
import type { Account } from '../../shared/domain/account.js';
import type { SignLogEntry } from '../../shared/domain/sign-log-entry.js';
import { createEnrollmentService } from '../../shared/otp/enrollment-service.js';
import type { Store } from '../../shared/store/store-ports.js';

/** A signer as the test drives it. */
export interface TestSigner {
  account: Account;
  /** The next code the authenticator shows (undefined for OTP-disabled accounts). */
  nextCode(): string | undefined;
  /** A well-formed code that is wrong now (the code of a step far away). */
  wrongCode(): string;
}

/** Creates `login` with a default grant of `certId`; enrolled unless `otpDisabled`. */
export async function addSigner(
  store: Store,
  masterKey: MasterKey,
  options: { login: string; certId: string; otpDisabled?: boolean },
): Promise<TestSigner> {
  const account = await createAccountService({ store }).add({
    login: options.login,
    otpDisabled: options.otpDisabled === true,
  });
  await store.grants.grant({ accountId: account.id, certId: options.certId, isDefault: true, grantedAt: new Date() });
  if (options.otpDisabled) return { account, nextCode: () => undefined, wrongCode: () => '000000' };
  const enrollment = createEnrollmentService({
    store,
    masterKey,
    issuer: 'SignService Test',
    publicBaseUrl: 'http://127.0.0.1',
    linkMinutes: 60,
    now: () => new Date(),
  });
  const link = await enrollment.createLink({ account });
  const view = await enrollment.reveal({ token: link.token });
  const totp = OTPAuth.URI.parse(view.otpUri) as OTPAuth.TOTP;
  let lastStep = totpStep(new Date());
  await enrollment.complete({ token: link.token, formToken: view.formToken, code: codeOf(totp, lastStep) });
  return {
    account,
    nextCode() {
      // Never a step used before (replay guard), never one that has fallen out of the ±1 window by now.
      lastStep = Math.max(lastStep + 1, totpStep(new Date()));
      return codeOf(totp, lastStep);
    },
    wrongCode() {
      // A code from an hour ago: right format, outside the ±1 step window.
      const code = codeOf(totp, totpStep(new Date()) - 120);
      return code === codeOf(totp, lastStep + 1) ? codeOf(totp, totpStep(new Date()) - 121) : code;
    },
  };
}

function totpStep(at: Date): number {
  return Math.floor(at.getTime() / 30_000);
}

function codeOf(totp: OTPAuth.TOTP, step: number): string {
  return totp.generate({ timestamp: step * 30_000 });
}

/** The certificate id the inventory gives a certificate (SHA-256 of its DER, lower-case hex). */
export function certificateId(der: Buffer): string {
  return crypto.createHash('sha256').update(der).digest('hex');
}

/** Every sign log entry, in order. */
export async function signLogOf(store: Store): Promise<SignLogEntry[]> {
  const out: SignLogEntry[] = [];
  for await (const e of store.signLog.list()) out.push(e);
  return out;
}

/** The value of one sample line of a Prometheus text exposition (undefined when absent). */
export function metricValue(text: string, sample: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

/**
 * The metrics text once `sample` reaches `atLeast` (or after `timeoutMs`, for the caller's assertion): a job's
 * outcome is counted when its handler returns, just after the request's last write that the test waited for.
 */
export async function settledMetrics(
  read: () => Promise<string>,
  sample: string,
  atLeast: number,
  timeoutMs = 10_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = await read();
  while ((metricValue(text, sample) ?? 0) < atLeast && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    text = await read();
  }
  return text;
}
