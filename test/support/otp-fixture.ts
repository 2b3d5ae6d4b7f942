/**
 * The real embedded store in a temporary directory, a fresh master key and a settable clock, plus an
 * "authenticator" helper that enrolls an account through the enrollment service the way a person would:
 * open the link, read the otpauth URI, type the code the app shows.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as OTPAuth from 'otpauth';
import { createAccountService, type NewAccount } from '../../shared/accounts/account-service.js';
import { generateMasterKeyBytes, MasterKey } from '../../shared/crypto/master-key.js';
import type { Account } from '../../shared/domain/account.js';
import type { SignLogEntry } from '../../shared/domain/sign-log-entry.js';
import { createEnrollmentService, type EnrollmentService } from '../../shared/otp/enrollment-service.js';
import { storeKeysFor } from '../../shared/store/create-store.js';
import { openEmbeddedStore } from '../../shared/store/embedded/embedded-store.js';
import type { Store } from '../../shared/store/store-ports.js';

/** A fixed start time on a 30 s boundary, so step arithmetic in tests stays readable. */
export const T0 = new Date('2030-01-15T10:00:00.000Z');

export interface OtpFixture {
  dir: string;
  store: Store;
  masterKey: MasterKey;
  masterKeyBase64: string;
  /** Current fake time. */
  now: () => Date;
  /** Moves the fake clock. */
  advance(ms: number): void;
  set(at: Date): void;
  enrollment: EnrollmentService;
  /** Creates an account (through the account service). */
  addAccount(options: NewAccount): Promise<Account>;
  /** Enrolls `account`; returns the authenticator (otpauth TOTP built from the page's URI). */
  enroll(account: Account): Promise<OTPAuth.TOTP>;
  signLog(): Promise<SignLogEntry[]>;
  close(): Promise<void>;
}

export async function createOtpFixture(): Promise<OtpFixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-otp-'));
  const keyBytes = generateMasterKeyBytes();
  const masterKey = MasterKey.fromBytes(keyBytes);
  const store = await openEmbeddedStore(path.join(dir, 'store.sqlite'), storeKeysFor(masterKey));
  let current = T0.getTime();
  const now = () => new Date(current);
  const enrollment = createEnrollmentService({
    store,
    masterKey,
    issuer: 'SignService Test',
    publicBaseUrl: 'http://localhost:8080',
    linkMinutes: 60,
    now,
  });
  const accounts = createAccountService({ store, now });
  return {
    dir,
    store,
    masterKey,
    masterKeyBase64: keyBytes.toString('base64'),
    now,
    advance: (ms) => {
      current += ms;
    },
    set: (at) => {
      current = at.getTime();
    },
    enrollment,
    addAccount: (options) => accounts.add(options),
    async enroll(account) {
      const link = await enrollment.createLink({ account });
      const view = await enrollment.reveal({ token: link.token });
      const totp = OTPAuth.URI.parse(view.otpUri) as OTPAuth.TOTP;
      await enrollment.complete({
        token: link.token,
        formToken: view.formToken,
        code: totp.generate({ timestamp: current }),
      });
      return totp;
    },
    async signLog() {
      const entries: SignLogEntry[] = [];
      for await (const e of store.signLog.list()) entries.push(e);
      return entries;
    },
    async close() {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The code an authenticator shows `steps` time steps away from `at`. */
export function codeAt(totp: OTPAuth.TOTP, at: Date, steps = 0): string {
  return totp.generate({ timestamp: at.getTime() + steps * 30_000 });
}
