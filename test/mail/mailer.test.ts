/**
 * Mail through a real SMTP server (smtp-server on 127.0.0.1) parsed with mailparser, and the outbox
 * transport of embedded mode.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { createMailer } from '../../shared/mail/mailer.js';
import { loadTemplates } from '../../shared/mail/render-template.js';
import { sendEnrollmentMail } from '../../shared/mail/send-enrollment-mail.js';
import { sendLockoutMail } from '../../shared/mail/send-lockout-mail.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';

const FROM = 'SignService <signservice@example.test>';

/** A port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('mail', () => {
  const renderer = loadTemplates();
  let sink: SmtpSink;
  let tmp: string;
  before(async () => {
    sink = await startSmtpSink();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-mail-'));
  });
  after(async () => {
    await sink.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('sends the enrollment e-mail over SMTP in Russian and in English, with a working link', async () => {
    const mailer = createMailer({ kind: 'smtp', url: sink.url, from: FROM });
    const expiresAt = new Date('2030-01-15T11:00:00Z');
    const base = {
      mailer,
      renderer,
      login: 'mary',
      url: 'https://sign.example.test/enroll/TOKEN123',
      expiresAt,
      issuer: 'ACME',
      timeZone: 'UTC',
    };
    const before = sink.messages.length;
    await sendEnrollmentMail({ ...base, to: 'mary@example.test', language: 'ru' });
    await sendEnrollmentMail({ ...base, to: 'john@example.test', language: 'en' });
    mailer.close();
    const [ruMail, enMail] = (await sink.waitFor(before + 2)).slice(before);
    assert.ok(ruMail && enMail);
    assert.equal(ruMail.to && !Array.isArray(ruMail.to) ? ruMail.to.text : '', 'mary@example.test');
    assert.deepEqual(
      ruMail.from?.value.map((a) => [a.name, a.address]),
      [['SignService', 'signservice@example.test']],
    );
    assert.match(ruMail.subject ?? '', /^Подключите одноразовые коды для подписи \(mary\)$/);
    assert.match(ruMail.text ?? '', /Ссылка работает один раз и до 15 января 2030/);
    assert.ok((ruMail.text ?? '').includes('https://sign.example.test/enroll/TOKEN123?lang=ru'));
    assert.ok(String(ruMail.html).includes('href="https://sign.example.test/enroll/TOKEN123?lang&#x3D;ru"'));
    assert.match(enMail.subject ?? '', /^Set up one-time codes for signing \(mary\)$/);
    assert.match(enMail.text ?? '', /The link works once and until 15 January 2030, 11:00 \(UTC\)/);
    assert.ok((enMail.text ?? '').includes('https://sign.example.test/enroll/TOKEN123?lang=en'));
    assert.match(enMail.text ?? '', /How to set up FreeOTP/);
  });

  it('sends the lockout notice', async () => {
    const mailer = createMailer({ kind: 'smtp', url: sink.url, from: FROM });
    const before = sink.messages.length;
    await sendLockoutMail({
      mailer,
      renderer,
      to: 'mary@example.test',
      login: 'mary',
      language: 'en',
      lockedUntil: new Date('2030-01-15T10:15:00Z'),
      timeZone: 'UTC',
    });
    mailer.close();
    const mail = (await sink.waitFor(before + 1))[before];
    assert.equal(mail?.subject, 'Account mary is locked after wrong codes');
    assert.match(mail?.text ?? '', /locked until 15 January 2030, 10:15 \(UTC\)/);
  });

  it('refuses to send an enrollment e-mail without an address', async () => {
    const mailer = createMailer({ kind: 'smtp', url: sink.url, from: FROM });
    await assert.rejects(
      sendEnrollmentMail({
        mailer,
        renderer,
        to: undefined,
        login: 'mary',
        language: 'en',
        url: 'https://x.test/enroll/a',
        expiresAt: new Date(),
        issuer: 'ACME',
      }),
      (e: unknown) =>
        e instanceof AppError && e.code === ErrorCode.INVALID_ARGUMENT && /no e-mail address/.test(e.message),
    );
    mailer.close();
  });

  it('reports MAIL_FAILED when the SMTP server cannot be reached', async () => {
    const mailer = createMailer({ kind: 'smtp', url: `smtp://127.0.0.1:${await closedPort()}`, from: FROM });
    await assert.rejects(
      mailer.send({ to: 'a@example.test', subject: 's', text: 't', html: '<p>h</p>' }),
      (e: unknown) => e instanceof AppError && e.code === ErrorCode.MAIL_FAILED && /ECONNREFUSED/.test(e.message),
    );
    mailer.close();
  });

  it('writes to the outbox folder in embedded mode, owner-only, with a console line', async () => {
    const dir = path.join(tmp, 'outbox');
    const lines: string[] = [];
    const mailer = createMailer({ kind: 'outbox', dir, from: FROM }, { print: (l) => lines.push(l) });
    const sent = await sendEnrollmentMail({
      mailer,
      renderer,
      to: 'mary@example.test',
      login: 'mary',
      language: 'en',
      url: 'http://localhost:8080/enroll/TOKEN',
      expiresAt: new Date(),
      issuer: 'ACME',
    });
    mailer.close();
    const file = sent.file ?? '';
    assert.ok(file.startsWith(dir) && file.endsWith('.eml'), file);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(lines, [
      `signservice: no SMTP server configured (SMTP_URL); mail to mary@example.test saved as ${file}`,
    ]);
    const parsed = await simpleParser(fs.readFileSync(file));
    assert.equal(parsed.subject, 'Set up one-time codes for signing (mary)');
    assert.ok((parsed.text ?? '').includes('http://localhost:8080/enroll/TOKEN?lang=en'));
    assert.ok(parsed.html);
  });
});
