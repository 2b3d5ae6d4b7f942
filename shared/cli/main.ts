#!/usr/bin/env node
/**
 * `signservice`: the operator's command-line tool. Each command lives in its own module, imported only
 * when used so that a run pays only for what it needs. Errors end as one specific line on stderr and
 * the exit code from the one error table (shared/errors.ts).
 */
import { AppError, ErrorCode, errorOutcome } from '../errors.js';
import { describeSystemError, humanizeMessage } from '../fs/file-error.js';
import { packageVersion } from './package-version.js';

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  init: {
    summary: 'make a new data directory: master key and an empty store (other commands never make one)',
    load: () => import('./commands/init-command.js'),
  },
  sign: {
    summary: 'sign a PDF (PAdES, incremental update, visible stamp)',
    load: () => import('./commands/sign-command.js'),
  },
  verify: { summary: 'verify every signature of a PDF', load: () => import('./commands/verify-command.js') },
  extend: {
    summary: 'add long-term validation data (B-LT) and a document timestamp (B-LTA) to a signed PDF',
    load: () => import('./commands/extend-command.js'),
  },
  token: {
    summary: 'list the certificates and keys on a PKCS#11 token',
    load: () => import('./commands/token-command.js'),
  },
  cert: {
    summary: 'list the certificate inventory (tokens and internal CA); give a certificate a display name',
    load: () => import('./commands/cert-command.js'),
  },
  ca: { summary: 'internal CA: init, issue, revoke, crl, export-root', load: () => import('./commands/ca-command.js') },
  audit: {
    summary: 'sign log: verify the hash chain, export entries',
    load: () => import('./commands/audit-command.js'),
  },
  account: {
    summary: 'signer accounts, OTP enrollment links, certificate grants',
    load: () => import('./commands/account-command.js'),
  },
  admin: {
    summary: 'control panel operators, API tokens for scripts',
    load: () => import('./commands/admin-command.js'),
  },
  request: {
    summary: 'sign a PDF through the service pipeline: submit, status; answer robot requests: approve, reject',
    load: () => import('./commands/request-command.js'),
  },
  queue: { summary: 'the job queue: parked jobs and why', load: () => import('./commands/queue-command.js') },
  doctor: {
    summary: 'check the data files: full SQLite integrity check, queue, disk, master key',
    load: () => import('./commands/doctor-command.js'),
  },
  backup: {
    summary: 'copy the data directory while the service runs (not the master key)',
    load: () => import('./commands/backup-command.js'),
  },
  restore: {
    summary: 'restore a backup into an empty data directory',
    load: () => import('./commands/restore-command.js'),
  },
};

const USAGE = `Usage: signservice <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join('\n')}

Options:
  -V, --version  print the version
  -h, --help     this help

Run 'signservice <command> --help' for the options of a command. The data directory is --data-dir, else
$SIGNSERVICE_DATA_DIR, else SIGNSERVICE_DATA_DIR in /etc/signservice/signservice.env (or the file
$SIGNSERVICE_CONFIG names), else ./data; only init, ca init and restore make a new one.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 64;
  }
  if (command === '--version' || command === '-V') {
    const pkg = packageVersion();
    process.stdout.write(`signservice ${pkg?.version ?? 'unknown (no package.json found)'}\n`);
    return 0;
  }
  const entry = COMMANDS[command];
  if (!entry) throw new AppError(ErrorCode.INVALID_ARGUMENT, `unknown command '${command}' (try --help)`);
  return (await entry.load()).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Errno codes and temporary file names never reach the person: AppError messages are written for them
    // (and put in words if a library's text slipped in), anything else is described as what failed where.
    const message =
      error instanceof AppError
        ? humanizeMessage(error.message)
        : `unexpected error: ${humanizeMessage(describeSystemError(error))}`;
    process.stderr.write(`signservice: ${message.split('\n')[0]}\n`);
    if (!(error instanceof AppError) && process.env.SIGNSERVICE_DEBUG) console.error(error);
    process.exitCode = errorOutcome(error).exit;
  },
);
