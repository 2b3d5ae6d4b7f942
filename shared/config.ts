/**
 * The service configuration: parsed once from the environment with zod into a frozen object. Only
 * `main` modules call `loadConfig(process.env)`; everything else receives the parsed Config.
 * Embedded mode (the default) needs no servers: SQLite store, in-process queue, mail to an outbox folder.
 */
import path from 'node:path';
import { z } from 'zod';
import { AppError, ErrorCode } from './errors.js';

const intFrom = (dflt: number) => z.coerce.number().int().positive().default(dflt);
const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v ? v : undefined));

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  SIGNSERVICE_DATA_DIR: z.string().default('./data'),
  MONGO_URL: optionalText,
  MONGO_DB: z.string().default('signservice'),
  AMQP_URL: optionalText,
  SIGNSERVICE_MASTER_KEY: optionalText,
  SIGNSERVICE_MASTER_KEY_FILE: optionalText,
  PUBLIC_BASE_URL: z.url().default('http://localhost:8080'),
  HOST: z.string().default('0.0.0.0'),
  PORT: intFrom(8080),
  SMTP_URL: optionalText,
  MAIL_FROM: z.string().default('SignService <signservice@localhost>'),
  OTP_ISSUER: z.string().default('SignService'),
  OTP_LOCKOUT_FAILURES: intFrom(5),
  OTP_LOCKOUT_WINDOW_MINUTES: intFrom(15),
  OTP_LOCKOUT_MINUTES: intFrom(15),
  ENROLLMENT_LINK_MINUTES: intFrom(60),
  DEFAULT_LANGUAGE: z.enum(['en', 'ru']).default('ru'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  ADMIN_TOKEN: optionalText,
});

export type Config = Readonly<{
  env: 'development' | 'production' | 'test';
  /** embedded: no MONGO_URL. */
  mode: 'embedded' | 'production';
  dataDir: string;
  store: { kind: 'embedded'; file: string } | { kind: 'mongodb'; url: string; dbName: string };
  queue: { kind: 'embedded' } | { kind: 'amqp'; url: string };
  masterKey: { source: 'env'; value: string } | { source: 'file'; file: string; createIfMissing: boolean };
  publicBaseUrl: string;
  http: { host: string; port: number };
  mail: { kind: 'smtp'; url: string; from: string } | { kind: 'outbox'; dir: string; from: string };
  otp: { issuer: string; lockoutFailures: number; lockoutWindowMinutes: number; lockoutMinutes: number };
  enrollmentLinkMinutes: number;
  defaultLanguage: 'en' | 'ru';
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Bearer token for the admin API (generated into the data dir in embedded mode when absent). */
  adminToken: string | undefined;
}>;

export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new AppError(ErrorCode.CONFIG_INVALID, `Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.SIGNSERVICE_DATA_DIR);
  const embedded = !e.MONGO_URL;
  let masterKey: Config['masterKey'];
  if (e.SIGNSERVICE_MASTER_KEY) masterKey = { source: 'env', value: e.SIGNSERVICE_MASTER_KEY };
  else if (e.SIGNSERVICE_MASTER_KEY_FILE)
    masterKey = { source: 'file', file: path.resolve(e.SIGNSERVICE_MASTER_KEY_FILE), createIfMissing: false };
  else if (embedded) masterKey = { source: 'file', file: path.join(dataDir, 'master.key'), createIfMissing: true };
  else {
    throw new AppError(
      ErrorCode.CONFIG_INVALID,
      'A master key is required in production mode: set SIGNSERVICE_MASTER_KEY (base64, 32 bytes) or SIGNSERVICE_MASTER_KEY_FILE.',
    );
  }
  const config: Config = {
    env: e.NODE_ENV,
    mode: embedded ? 'embedded' : 'production',
    dataDir,
    store: e.MONGO_URL
      ? { kind: 'mongodb' as const, url: e.MONGO_URL, dbName: e.MONGO_DB }
      : { kind: 'embedded' as const, file: path.join(dataDir, 'signservice.sqlite') },
    queue: e.AMQP_URL ? { kind: 'amqp' as const, url: e.AMQP_URL } : { kind: 'embedded' as const },
    masterKey,
    publicBaseUrl: e.PUBLIC_BASE_URL.replace(/\/+$/, ''),
    http: { host: e.HOST, port: e.PORT },
    mail: e.SMTP_URL
      ? { kind: 'smtp' as const, url: e.SMTP_URL, from: e.MAIL_FROM }
      : { kind: 'outbox' as const, dir: path.join(dataDir, 'outbox'), from: e.MAIL_FROM },
    otp: {
      issuer: e.OTP_ISSUER,
      lockoutFailures: e.OTP_LOCKOUT_FAILURES,
      lockoutWindowMinutes: e.OTP_LOCKOUT_WINDOW_MINUTES,
      lockoutMinutes: e.OTP_LOCKOUT_MINUTES,
    },
    enrollmentLinkMinutes: e.ENROLLMENT_LINK_MINUTES,
    defaultLanguage: e.DEFAULT_LANGUAGE,
    logLevel: e.LOG_LEVEL,
    adminToken: e.ADMIN_TOKEN,
  };
  return Object.freeze(config);
}
