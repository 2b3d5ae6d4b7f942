/**
 * Outgoing mail through one nodemailer transporter chosen from the config: SMTP (`config.mail.url`), or,
 * in embedded mode without SMTP, an outbox folder where each message is written as an .eml file (open it
 * with any mail client) with a line on the console saying where it went.
 */
import fs from 'node:fs';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../config.js';
import { AppError, ErrorCode } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';

/** One message: both bodies, so every client shows something readable. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface SentMail {
  messageId: string;
  /** The .eml file, when the outbox transport is used. */
  file?: string;
}

export interface Mailer {
  /** @throws AppError MAIL_FAILED when the message cannot be delivered to the SMTP server or written. */
  send(message: MailMessage): Promise<SentMail>;
  close(): void;
}

export interface MailerDeps {
  logger?: Logger;
  /** Where the outbox transport prints its console line. @default a line on stderr */
  print?: (line: string) => void;
}

/** Builds the mailer for `config` (config.mail). */
export function createMailer(config: Config['mail'], deps: MailerDeps = {}): Mailer {
  const logger = deps.logger ?? silentLogger;
  const print = deps.print ?? ((line: string) => process.stderr.write(`${line}\n`));
  const transporter: Transporter =
    config.kind === 'smtp'
      ? nodemailer.createTransport(config.url)
      : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });

  const toOutbox = (dir: string, messageId: string, raw: Buffer): string => {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${messageId.replace(/[^A-Za-z0-9.-]/g, '')}.eml`;
    const file = path.join(dir, name);
    // 0600: the message may hold a one-time enrollment link.
    fs.writeFileSync(file, raw, { mode: 0o600, flag: 'wx' });
    return file;
  };

  return {
    async send(message) {
      try {
        const info = await transporter.sendMail({ from: config.from, ...message });
        const messageId = String(info.messageId ?? '');
        if (config.kind === 'outbox') {
          const file = toOutbox(config.dir, messageId, info.message as Buffer);
          print(`signservice: no SMTP server configured (SMTP_URL); mail to ${message.to} saved as ${file}`);
          logger.info({ to: message.to, messageId, file }, 'mail written to the outbox');
          return { messageId, file };
        }
        logger.info({ to: message.to, messageId }, 'mail sent');
        return { messageId };
      } catch (error) {
        logger.error({ to: message.to, error }, 'mail could not be sent');
        const where = config.kind === 'smtp' ? 'the SMTP server' : `the outbox ${config.dir}`;
        throw new AppError(
          ErrorCode.MAIL_FAILED,
          `The e-mail to ${message.to} could not be handed to ${where}: ${(error as Error).message}`,
          { cause: error },
        );
      }
    },
    close: () => transporter.close(),
  };
}
