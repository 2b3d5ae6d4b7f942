/**
 * The service configuration: parsed once with zod into a frozen object from the process environment over
 * the configuration file (config-file.ts). Only `main` modules (and the CLI's commands) call
 * `loadServiceConfig()`; everything else receives the parsed Config. `loadConfig(env)` parses a given
 * environment alone (tests). Embedded mode (the default) needs no servers: SQLite store, in-process queue,
 * mail to an outbox folder.
 */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import {
  type ConfigFile,
  chooseDataDir,
  readConfigFile,
  SETTINGS_OUTSIDE_SCHEMA,
  settingsFrom,
} from './config-file.js';
import { AppError, ErrorCode } from './errors.js';
import { defaultLevel, PADES_LEVELS, type SigningLevel } from './signing/signing-level.js';
import { type ConfiguredToken, ZTokenList } from './token-list-config.js';

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
  OPS_HOST: z.string().default('127.0.0.1'),
  OPS_PORT: intFrom(8082),
  POLL_MAX_PER_SESSION: intFrom(2),
  POLL_MAX_TOTAL: intFrom(100),
  PREVIEW_PROCESSES: intFrom(2),
  BATCH_MAX_DOCUMENTS: intFrom(100),
  ADMIN_EMAIL: optionalText,
  // The URL may carry a password: its problem is named, never its value.
  SMTP_URL: optionalText.refine(
    (v) => v === undefined || /^smtps?:\/\/[^/?#]+/i.test(v),
    'an smtp:// or smtps:// URL of the mail server (README "Mail in production")',
  ),
  MAIL_FROM: z.string().default('SignService <signservice@localhost>'),
  OTP_ISSUER: z.string().default('SignService'),
  OTP_LOCKOUT_FAILURES: intFrom(5),
  OTP_LOCKOUT_WINDOW_MINUTES: intFrom(15),
  OTP_LOCKOUT_MINUTES: intFrom(15),
  ENROLLMENT_LINK_MINUTES: intFrom(60),
  DEFAULT_LANGUAGE: z.enum(['en', 'ru']).default('ru'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  ADMIN_TOKEN: optionalText.refine((v) => v === undefined || v.length >= 32, 'at least 32 characters'),
  AMQP_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'letters, digits, ".", "_" and "-"')
    .default('signservice'),
  SIGNSERVICE_TOKENS: ZTokenList,
  WORKER_PORT: intFrom(8081),
  WORKER_PREFETCH: intFrom(4),
  WORKER_BYTE_BUDGET_MB: z.coerce.number().int().positive().optional(),
  RECOVERY_SWEEP_SECONDS: intFrom(60),
  MIN_FREE_DISK_MB: z.coerce.number().int().nonnegative().default(512),
  SIGNSERVICE_MAX_PDF_MB: intFrom(100),
  SHUTDOWN_TIMEOUT_SECONDS: intFrom(60),
  B24_CLIENT_ID: optionalText,
  B24_CLIENT_SECRET: optionalText,
  B24_RATE_PER_SECOND: intFrom(2),
  B24_RATE_BURST: intFrom(50),
  B24_OAUTH_HOSTS: z.string().default('oauth.bitrix.info,oauth.bitrix24.tech'),
  B24_ALLOW_LOOPBACK: z.enum(['true', 'false']).optional(),
  B24_TIMEOUT_SECONDS: intFrom(30),
  ROBOT_SWEEP_SECONDS: intFrom(30),
  SIGN_LOG_CHECKPOINT_ENTRIES: intFrom(100),
  SIGN_LOG_CHECKPOINT_MINUTES: intFrom(10),
  SIGN_LOG_TSA_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  TSA_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  INTERNAL_CA_SIGNATURE_LEVEL: optionalText.pipe(z.enum(PADES_LEVELS).optional()),
  VALIDATION_TIMEOUT_SECONDS: intFrom(10),
  CA_CRL_CHECK_MINUTES: intFrom(60),
  SIGNSERVICE_TRUST_ROOTS: optionalText,
  VERIFY_MAX_PDF_MB: intFrom(30),
});

/** The names of every setting the schema reads (README's settings tables list each; a test compares). */
export const SETTING_NAMES: readonly string[] = Object.keys(EnvSchema.shape);

export type Config = Readonly<{
  env: 'development' | 'production' | 'test';
  /** embedded: no MONGO_URL. */
  mode: 'embedded' | 'production';
  dataDir: string;
  /** Where the data directory was named, for messages: "--data-dir", "SIGNSERVICE_DATA_DIR in /etc/…", … */
  dataDirNamed: string;
  store: { kind: 'embedded'; file: string } | { kind: 'mongodb'; url: string; dbName: string };
  /** amqp: AMQP_URL; `namePrefix` (AMQP_PREFIX, @default 'signservice') starts every exchange and queue name. */
  queue: { kind: 'embedded' } | { kind: 'amqp'; url: string; namePrefix?: string };
  masterKey: { source: 'env'; value: string } | { source: 'file'; file: string; createIfMissing: boolean };
  publicBaseUrl: string;
  http: { host: string; port: number };
  /**
   * The operations listener of `npm start` / `start:activity` (/health, /ready, /metrics): OPS_HOST @default
   * 127.0.0.1, OPS_PORT @default 8082. `start:worker` serves them on OPS_HOST:WORKER_PORT. The public port
   * answers /health only.
   */
  ops: { host: string; port: number };
  /** Per-session and total limits of what a page holder can make the app do (activity). */
  limits: ActivityLimits;
  /** Documents one one-time code may sign at once (a batch: pages, Sign dialog, CLI): BATCH_MAX_DOCUMENTS @default 100. */
  batchMaxDocuments: number;
  /** The service operator's address (ADMIN_EMAIL): lockout notices of accounts without a portal go there. */
  adminEmail: string | undefined;
  mail: { kind: 'smtp'; url: string; from: string } | { kind: 'outbox'; dir: string; from: string };
  otp: { issuer: string; lockoutFailures: number; lockoutWindowMinutes: number; lockoutMinutes: number };
  enrollmentLinkMinutes: number;
  defaultLanguage: 'en' | 'ru';
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** ADMIN_TOKEN: an admin-scope API token given in the environment (shared/admin/api-token-service.ts). */
  adminToken: string | undefined;
  worker: WorkerConfig;
  bitrix24: Bitrix24Config;
  signLog: SignLogConfig;
  publication: PublicationConfig;
  /** Below this many free bytes in the data directory's file system /ready answers 503: MIN_FREE_DISK_MB @default 512. */
  minFreeDiskBytes: number;
}>;

/** Signed checkpoints of the sign log (shared/audit/sign-log-checkpointer.ts). */
export interface SignLogConfig {
  /** A checkpoint once the head is this many entries past the last one: SIGN_LOG_CHECKPOINT_ENTRIES @default 100. */
  checkpointEveryEntries: number;
  /** …or this long after the last one, if the head moved: SIGN_LOG_CHECKPOINT_MINUTES @default 10. */
  checkpointEveryMs: number;
  /** RFC 3161 timestamp authority for checkpoints: SIGN_LOG_TSA_URL, @default none (no timestamps). */
  tsaUrl: string | undefined;
}

/** What one page holder, and everybody together, can make the activity do at once. */
export interface ActivityLimits {
  /** Long polls (dialog and approval status) in flight per dialog session or approval link: POLL_MAX_PER_SESSION @default 2. */
  pollsPerSession: number;
  /** Long polls in flight in the process altogether: POLL_MAX_TOTAL @default 100. */
  pollsTotal: number;
  /** `pdftoppm` processes rendering preview pages at once: PREVIEW_PROCESSES @default 2. */
  previewProcesses: number;
}

/** The Bitrix24 app: its OAuth credentials, the per-portal request budget, which endpoints are acceptable. */
export interface Bitrix24Config {
  /** B24_CLIENT_ID / B24_CLIENT_SECRET (both or neither); the Bitrix24-facing processes refuse to start without. */
  app: { clientId: string; clientSecret: string } | undefined;
  /** Leaky bucket per portal: B24_RATE_PER_SECOND @default 2, B24_RATE_BURST @default 50 (Enterprise: 5 and 250). */
  rateLimit: { perSecond: number; burst: number };
  /** OAuth servers the client secret may be sent to (B24_OAUTH_HOSTS, comma-separated). */
  oauthHosts: readonly string[];
  /**
   * Endpoints on loopback hosts, plain http included (a local portal emulator: the demo, tests, benchmarks):
   * B24_ALLOW_LOOPBACK, @default false whatever NODE_ENV is — an unauthenticated install names the endpoints,
   * and loopback ones would turn the service into a client of the host's own services.
   */
  allowLoopback: boolean;
  /** One REST request's time limit: B24_TIMEOUT_SECONDS @default 30 (the cloud allows a request 60 s). */
  timeoutMs: number;
  /** How often a worker expires overdue robot requests and finishes unfinished robot steps: ROBOT_SWEEP_SECONDS @default 30. */
  sweepIntervalMs: number;
}

/** The signing worker: its tokens, concurrency, limits and its own health port. */
export interface WorkerConfig {
  /** SIGNSERVICE_TOKENS (token-list-config.ts); the worker consumes `token:<label>` of each, plus `internal`. */
  tokens: readonly ConfiguredToken[];
  /** Port of /health, /ready and /metrics when the worker runs alone: WORKER_PORT @default 8081. */
  port: number;
  /** Jobs one worker process handles at once, per route: WORKER_PREFETCH @default 4. */
  prefetch: number;
  /**
   * Memory for documents in flight in one worker, in bytes (each job reserves about twice its document's
   * size: the input and the signed copy): WORKER_BYTE_BUDGET_MB @default a quarter of the memory the process
   * may use (its cgroup limit, else the machine's), at least 256 MiB.
   */
  byteBudget: number;
  /** How often every worker runs the recovery sweep (also once at start): RECOVERY_SWEEP_SECONDS @default 60. */
  recoverySweepMs: number;
  /** Largest document accepted for signing: SIGNSERVICE_MAX_PDF_MB @default 100 (MiB). */
  maxDocumentBytes: number;
  /** How long a graceful shutdown waits for jobs in flight: SHUTDOWN_TIMEOUT_SECONDS @default 60. */
  shutdownTimeoutMs: number;
  /** PAdES levels and the sources B-T and up need. @default B-B everywhere, no TSA */
  signing?: SigningConfig;
}

/** Signature levels per certificate source, the TSA, and the time limit for TSA / OCSP / CRL requests. */
export interface SigningConfig {
  /** RFC 3161 TSA (TSA_URL); required by any level above B-B. */
  tsaUrl: string | undefined;
  /** Level of internal-CA signatures: INTERNAL_CA_SIGNATURE_LEVEL @default B-T with TSA_URL, else B-B. Tokens: their `level`. */
  internalCaLevel: SigningLevel;
  /** Level of a token's signatures without its own `level`. */
  defaultLevel: SigningLevel;
  /** VALIDATION_TIMEOUT_SECONDS @default 10. */
  timeoutMs: number;
}

/** The verification page and the internal CA's publishing. */
export interface PublicationConfig {
  /** PEM files of roots (besides the internal CA's) the verify page trusts: SIGNSERVICE_TRUST_ROOTS, comma-separated. */
  trustRootFiles: readonly string[];
  /** Largest PDF the verify page accepts: VERIFY_MAX_PDF_MB @default 30 (MiB). */
  verifyMaxBytes: number;
  /** How often the service checks that the CRL is current: CA_CRL_CHECK_MINUTES @default 60. */
  crlCheckIntervalMs: number;
}

/** Levels above B-B need a TSA: refuse to start rather than fail every signature later. */
function signingConfig(
  tsaUrl: string | undefined,
  internalLevel: SigningLevel | undefined,
  tokens: readonly ConfiguredToken[],
  timeoutSeconds: number,
): SigningConfig {
  const wanting = [
    ...(internalLevel && internalLevel !== 'B-B' ? [`INTERNAL_CA_SIGNATURE_LEVEL=${internalLevel}`] : []),
    ...tokens.filter((t) => t.level && t.level !== 'B-B').map((t) => `token ${t.label ?? t.serial} level ${t.level}`),
  ];
  if (!tsaUrl && wanting.length > 0) {
    throw new AppError(
      ErrorCode.CONFIG_INVALID,
      `TSA_URL is required for ${wanting.join(', ')}: B-T, B-LT and B-LTA need a timestamp authority`,
    );
  }
  return {
    tsaUrl,
    internalCaLevel: internalLevel ?? defaultLevel(tsaUrl),
    defaultLevel: defaultLevel(tsaUrl),
    timeoutMs: timeoutSeconds * 1000,
  };
}

const MIB = 1024 * 1024;

/** A quarter of the memory this process may use (cgroup limit when there is one), at least 256 MiB. */
function defaultByteBudget(): number {
  const limit = process.constrainedMemory?.() ?? 0;
  const memory = limit > 0 && limit < os.totalmem() ? limit : os.totalmem();
  return Math.max(256 * MIB, Math.floor(memory / 4));
}

/** Names in the configuration file that are no settings: a typo there would otherwise be ignored silently. */
function refuseUnknownNames(file: ConfigFile): void {
  const known = new Set([...SETTING_NAMES, ...Object.keys(SETTINGS_OUTSIDE_SCHEMA)]);
  const processOnly = ['TZ', 'SIGNSERVICE_CONFIG'];
  for (const name of Object.keys(file.values)) {
    if (processOnly.includes(name)) {
      throw new AppError(
        ErrorCode.CONFIG_INVALID,
        `${file.path}: ${name} cannot be set in the configuration file; set it in the process's environment`,
      );
    }
    if (!known.has(name)) {
      throw new AppError(
        ErrorCode.CONFIG_INVALID,
        `${file.path}: ${name} is not a SignService setting (README "Settings" lists them); a typo?`,
      );
    }
  }
}

/**
 * The configuration of a service process or CLI command: the process environment over the configuration
 * file (/etc/signservice/signservice.env, or SIGNSERVICE_CONFIG's), and `dataDirFlag` (--data-dir) over both.
 * @throws AppError CONFIG_INVALID
 */
export function loadServiceConfig(env: NodeJS.ProcessEnv = process.env, dataDirFlag?: unknown): Config {
  const file = readConfigFile(env);
  if (file) refuseUnknownNames(file);
  const dataDir = chooseDataDir(env, dataDirFlag, file);
  return loadConfig({ ...settingsFrom(env, file), SIGNSERVICE_DATA_DIR: dataDir.dir }, dataDir.named);
}

/** Parses `env` alone (no configuration file). @throws AppError CONFIG_INVALID */
export function loadConfig(env: NodeJS.ProcessEnv, dataDirNamed?: string): Config {
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
  if (Boolean(e.B24_CLIENT_ID) !== Boolean(e.B24_CLIENT_SECRET)) {
    throw new AppError(
      ErrorCode.CONFIG_INVALID,
      'Set both B24_CLIENT_ID and B24_CLIENT_SECRET (the keys of the local app), or neither',
    );
  }
  const config: Config = {
    env: e.NODE_ENV,
    mode: embedded ? 'embedded' : 'production',
    dataDir,
    dataDirNamed:
      dataDirNamed ?? (env.SIGNSERVICE_DATA_DIR ? 'SIGNSERVICE_DATA_DIR' : 'the default ./data in the current folder'),
    store: e.MONGO_URL
      ? { kind: 'mongodb' as const, url: e.MONGO_URL, dbName: e.MONGO_DB }
      : { kind: 'embedded' as const, file: path.join(dataDir, 'signservice.sqlite') },
    queue: e.AMQP_URL
      ? { kind: 'amqp' as const, url: e.AMQP_URL, namePrefix: e.AMQP_PREFIX }
      : { kind: 'embedded' as const },
    masterKey,
    publicBaseUrl: e.PUBLIC_BASE_URL.replace(/\/+$/, ''),
    http: { host: e.HOST, port: e.PORT },
    ops: { host: e.OPS_HOST, port: e.OPS_PORT },
    limits: {
      pollsPerSession: e.POLL_MAX_PER_SESSION,
      pollsTotal: e.POLL_MAX_TOTAL,
      previewProcesses: e.PREVIEW_PROCESSES,
    },
    batchMaxDocuments: e.BATCH_MAX_DOCUMENTS,
    adminEmail: e.ADMIN_EMAIL,
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
    worker: {
      tokens: e.SIGNSERVICE_TOKENS,
      port: e.WORKER_PORT,
      prefetch: e.WORKER_PREFETCH,
      maxDocumentBytes: e.SIGNSERVICE_MAX_PDF_MB * 1024 * 1024,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_SECONDS * 1000,
      signing: signingConfig(
        e.TSA_URL,
        e.INTERNAL_CA_SIGNATURE_LEVEL,
        e.SIGNSERVICE_TOKENS,
        e.VALIDATION_TIMEOUT_SECONDS,
      ),
      byteBudget: e.WORKER_BYTE_BUDGET_MB ? e.WORKER_BYTE_BUDGET_MB * MIB : defaultByteBudget(),
      recoverySweepMs: e.RECOVERY_SWEEP_SECONDS * 1000,
    },
    publication: {
      trustRootFiles: (e.SIGNSERVICE_TRUST_ROOTS ?? '')
        .split(',')
        .map((f) => f.trim())
        .filter((f) => f.length > 0)
        .map((f) => path.resolve(f)),
      verifyMaxBytes: e.VERIFY_MAX_PDF_MB * 1024 * 1024,
      crlCheckIntervalMs: e.CA_CRL_CHECK_MINUTES * 60_000,
    },
    minFreeDiskBytes: e.MIN_FREE_DISK_MB * MIB,
    bitrix24: {
      app:
        e.B24_CLIENT_ID && e.B24_CLIENT_SECRET
          ? { clientId: e.B24_CLIENT_ID, clientSecret: e.B24_CLIENT_SECRET }
          : undefined,
      rateLimit: { perSecond: e.B24_RATE_PER_SECOND, burst: e.B24_RATE_BURST },
      oauthHosts: e.B24_OAUTH_HOSTS.split(/[\s,]+/)
        .filter((h) => h.length > 0)
        .map((h) => h.toLowerCase()),
      allowLoopback: e.B24_ALLOW_LOOPBACK === 'true',
      timeoutMs: e.B24_TIMEOUT_SECONDS * 1000,
      sweepIntervalMs: e.ROBOT_SWEEP_SECONDS * 1000,
    },
    signLog: {
      checkpointEveryEntries: e.SIGN_LOG_CHECKPOINT_ENTRIES,
      checkpointEveryMs: e.SIGN_LOG_CHECKPOINT_MINUTES * 60_000,
      tsaUrl: e.SIGN_LOG_TSA_URL,
    },
  };
  return Object.freeze(config);
}
