/**
 * Test support for the Bitrix24 signing pages: the b24app fixture (portal emulator, SoftHSM2 token, RabbitMQ,
 * the service as a child process) plus a real SMTP server for the notices, signers that are portal users
 * with a language and an e-mail address and an "authenticator" that always shows the code of a fresh time
 * step (so a test can sign several times in one minute without tripping the replay guard), Chromium, and a
 * folder for screenshots (test/artifacts, git-ignored).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as OTPAuth from 'otpauth';
import { createAccountService } from '../../shared/accounts/account-service.js';
import type { Account } from '../../shared/domain/account.js';
import { createEnrollmentService } from '../../shared/otp/enrollment-service.js';
import { B24AppFixture, type FixtureOptions } from '../b24app/b24app-fixture.js';
import type { PortalHandle } from '../support/bitrix24-emulator/index.js';
import { type LaunchedChromium, launchChromium } from '../support/chromium.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';

/** test/artifacts of the repository (screenshots are kept there). */
export const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/artifacts');

/** A portal user with a linked, enrolled account. */
export interface UiSigner {
  account: Account;
  userId: number;
  email: string;
  /** The code of the next unused time step that the service accepts now. */
  code(): string;
  /** A well-formed code that is wrong now. */
  wrongCode(): string;
}

const step = (ms: number) => Math.floor(ms / 30_000);

/** The b24app fixture with an SMTP sink, Chromium and signer helpers. */
export class B24UiFixture extends B24AppFixture {
  sink!: SmtpSink;
  chromium!: LaunchedChromium;

  /** `browser: false` when the test brings its own Chromium (a profile with its own settings). */
  async startUi(
    env: NodeJS.ProcessEnv = {},
    options: Omit<FixtureOptions, 'env'> & { browser?: boolean } = {},
  ): Promise<void> {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    this.sink = await startSmtpSink();
    const { browser = true, ...fixture } = options;
    await this.start({
      ...fixture,
      env: { SMTP_URL: this.sink.url, MAIL_FROM: 'SignService <sign@acme.test>', ...env },
    });
    if (browser) this.chromium = await launchChromium();
  }

  async stopUi(): Promise<void> {
    await this.chromium?.close();
    await this.stop();
    await this.sink?.close();
  }

  /**
   * A portal user (`language` is their Bitrix24 UI language) with an enrolled account of that portal granted
   * `certId`, linked to the user — or, with `linked: false`, not linked yet (the e-mail fallback links it).
   */
  async uiSigner(
    portal: PortalHandle,
    login: string,
    options: {
      language?: 'en' | 'ru';
      accountLanguage?: 'en' | 'ru';
      certIds?: string[];
      otpDisabled?: boolean;
      linked?: boolean;
      /** The user's Bitrix24 TIME_ZONE (IANA). @default '' (none chosen) */
      timeZone?: string;
    } = {},
  ): Promise<UiSigner> {
    const email = `${login}@acme.test`;
    const user = portal.createUser({
      name: login[0]!.toUpperCase() + login.slice(1),
      lastName: 'Tester',
      email,
      ...(options.language ? { language: options.language } : {}),
      ...(options.timeZone ? { timeZone: options.timeZone } : {}),
    });
    const account = await createAccountService({ store: this.store }).add({
      login,
      email,
      memberId: portal.memberId,
      ...(options.linked === false ? {} : { bitrix: { memberId: portal.memberId, userId: user.id } }),
      ...(options.accountLanguage ? { language: options.accountLanguage } : {}),
      ...(options.otpDisabled ? { otpDisabled: true } : {}),
    });
    for (const [index, certId] of (options.certIds ?? [this.certId]).entries()) {
      await this.store.grants.grant({ accountId: account.id, certId, isDefault: index === 0, grantedAt: new Date() });
    }
    if (options.otpDisabled) return { account, userId: user.id, email, code: () => '', wrongCode: () => '000000' };
    const enrollment = createEnrollmentService({
      store: this.store,
      masterKey: this.masterKey,
      issuer: 'SignService Test',
      publicBaseUrl: this.baseUrl,
      linkMinutes: 60,
    });
    const link = await enrollment.createLink({ account });
    const view = await enrollment.reveal({ token: link.token });
    const totp = OTPAuth.URI.parse(view.otpUri) as OTPAuth.TOTP;
    let last = step(Date.now());
    await enrollment.complete({
      token: link.token,
      formToken: view.formToken,
      code: totp.generate({ timestamp: last * 30_000 }),
    });
    return {
      account,
      userId: user.id,
      email,
      code() {
        // One step past the last used one, and never behind now: a code of the step before now runs out at
        // the next step boundary, which a busy machine often passes while the form is on its way.
        last = Math.max(last + 1, step(Date.now()));
        return totp.generate({ timestamp: last * 30_000 });
      },
      wrongCode() {
        const wrong = totp.generate({ timestamp: (step(Date.now()) - 200) * 30_000 });
        return wrong === totp.generate({ timestamp: (last + 1) * 30_000 }) ? '000001' : wrong;
      },
    };
  }
}
