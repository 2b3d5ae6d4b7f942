/**
 * The control panel's API against the real embedded store and job queue, a real SMTP sink and the Koa app on a real
 * port, with a clock that runs with the real one and can be moved forward (`advance`): an "HTTP client" that keeps cookies per caller, records every answer (for
 * the secret scan), and an operator who signs in the way the panel does (first-time TOTP set-up, codes
 * computed as an authenticator app does from the set-up's otpauth URI).
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import * as OTPAuth from 'otpauth';
import { adminPanel } from '../../activity/admin/admin-panel.js';
import { createApp } from '../../activity/app.js';
import { generateMasterKeyBytes, MasterKey } from '../../shared/crypto/master-key.js';
import { createLogger } from '../../shared/logger.js';
import { createMailer, type Mailer } from '../../shared/mail/mailer.js';
import { loadTemplates } from '../../shared/mail/render-template.js';
import { createEnrollmentService } from '../../shared/otp/enrollment-service.js';
import { EmbeddedJobQueue } from '../../shared/queue/embedded/embedded-queue.js';
import { storeKeysFor } from '../../shared/store/create-store.js';
import { openEmbeddedStore } from '../../shared/store/embedded/embedded-store.js';
import type { Store } from '../../shared/store/store-ports.js';
import { type ServedApp, serveAppFor } from '../support/serve-app.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';

export const OTP = { issuer: 'ACME Sign', lockoutFailures: 5, lockoutWindowMinutes: 15, lockoutMinutes: 15 };

export interface Answer {
  status: number;
  body: unknown;
  text: string;
  headers: Headers;
}

/** One caller: its cookie jar, CSRF token, optional bearer token or panel-session header. */
export class Caller {
  cookie = '';
  csrf = '';
  constructor(
    private readonly fx: AdminFixture,
    public auth: { bearer?: string; session?: string } = {},
    public origin?: string,
  ) {}

  async call(method: string, pathname: string, body?: unknown, extra: Record<string, string> = {}): Promise<Answer> {
    const headers: Record<string, string> = { Accept: 'application/json', ...extra };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (this.cookie) headers.Cookie = this.cookie;
    if (this.auth.bearer) headers.Authorization = `Bearer ${this.auth.bearer}`;
    if (this.auth.session) headers['X-Panel-Session'] = this.auth.session;
    if (this.csrf && method !== 'GET' && !('X-CSRF-Token' in extra)) headers['X-CSRF-Token'] = this.csrf;
    if (method !== 'GET' && !('Origin' in extra)) headers.Origin = this.origin ?? this.fx.url;
    // node:http rather than fetch: fetch treats Origin as the client's own business and will not send ours.
    const response = await request(
      `${this.fx.url}${pathname}`,
      method,
      headers,
      body === undefined ? undefined : JSON.stringify(body),
    );
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0] ?? '';
    const text = response.text;
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    this.fx.answers.push(text);
    return { status: response.status, body: parsed, text, headers: response.headers };
  }
}

function request(url: string, method: string, headers: Record<string, string>, body?: string) {
  return new Promise<{ status: number; headers: Headers; text: string }>((resolve, reject) => {
    const req = http.request(
      url,
      { method, headers: Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== '')) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers))
            if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
          resolve({ status: res.statusCode ?? 0, headers: h, text: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export class AdminFixture {
  dir!: string;
  store!: Store;
  /** The embedded job queue the app reads parked jobs from (the data directory's queue.sqlite). */
  queue!: EmbeddedJobQueue;
  masterKey!: MasterKey;
  masterKeyBase64!: string;
  sink!: SmtpSink;
  mailer!: Mailer;
  served!: ServedApp;
  url!: string;
  logs: string[] = [];
  answers: string[] = [];
  /**
   * How far the service's clock runs ahead of the real one. It is an offset, not a frozen time: a browser's
   * authenticator computes codes from the real clock, so a service time taken when this file was loaded
   * (minutes before its tests run, when other suites run first) made every first code "wrong".
   */
  private skew = 0;
  now = () => new Date(Date.now() + this.skew);

  /** The service's time now, in milliseconds (what an authenticator in step with it would use). */
  get clock(): number {
    return this.now().getTime();
  }

  /** Moves the service's clock forward (idle timeouts, lockouts). */
  advance(ms: number): void {
    this.skew += ms;
  }
  panel!: ReturnType<typeof adminPanel>;

  async start(): Promise<void> {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-admin-'));
    const bytes = generateMasterKeyBytes();
    this.masterKeyBase64 = bytes.toString('base64');
    this.masterKey = MasterKey.fromBytes(bytes);
    this.store = await openEmbeddedStore(path.join(this.dir, 'signservice.sqlite'), storeKeysFor(this.masterKey));
    this.queue = new EmbeddedJobQueue({ file: path.join(this.dir, 'queue.sqlite') });
    this.sink = await startSmtpSink();
    const logger = createLogger({ level: 'debug', sink: (line) => this.logs.push(line) });
    this.mailer = createMailer({ kind: 'smtp', url: this.sink.url, from: 'SignService <sign@acme.test>' }, { logger });
    // PUBLIC_BASE_URL is where the app is reached: pages' POSTs must come from that origin.
    const depsFor = (url: string) => ({
      config: {
        publicBaseUrl: url,
        otp: OTP,
        enrollmentLinkMinutes: 60,
        defaultLanguage: 'en' as const,
        dataDir: this.dir,
      },
      store: this.store,
      masterKey: this.masterKey,
      logger,
      mailer: this.mailer,
      queue: this.queue,
      now: this.now,
    });
    this.served = await serveAppFor((url) => createApp(depsFor(url)));
    this.url = this.served.url;
    // The same panel as createApp builds, for walking its routers in tests.
    const renderer = loadTemplates();
    const enrollment = createEnrollmentService({
      store: this.store,
      masterKey: this.masterKey,
      issuer: OTP.issuer,
      publicBaseUrl: this.url,
    });
    this.panel = adminPanel({ deps: depsFor(this.url), enrollment, renderer, logger });
  }

  async stop(): Promise<void> {
    await this.served?.close();
    this.mailer?.close();
    await this.sink?.close();
    await this.queue?.close();
    await this.store?.close();
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  caller(auth: { bearer?: string; session?: string } = {}, origin?: string): Caller {
    return new Caller(this, auth, origin);
  }

  /** Creates an operator and signs in for the first time (set-up, first code): returns the caller and authenticator. */
  async operator(
    login: string,
    password = 'correct horse battery staple',
  ): Promise<{ caller: Caller; totp: OTPAuth.TOTP; secret: string }> {
    await this.panel.api.deps.operators.add({ login, password });
    const caller = this.caller();
    const first = await caller.call('POST', '/api/v1/session', { login, password, code: '' });
    const setup = (first.body as { setup: { otpUri: string; manualSecret: string } }).setup;
    const totp = OTPAuth.URI.parse(setup.otpUri) as OTPAuth.TOTP;
    caller.csrf = (first.body as { csrfToken: string }).csrfToken;
    const confirmed = await caller.call('POST', '/api/v1/session/totp', {
      code: totp.generate({ timestamp: this.clock }),
    });
    if (confirmed.status !== 200) throw new Error(`set-up failed: ${confirmed.text}`);
    caller.csrf = (confirmed.body as { csrfToken: string }).csrfToken;
    return { caller, totp, secret: setup.manualSecret.replace(/\s/g, '') };
  }
}
