/**
 * `signservice request submit FILE ... | status ID`: sign a local PDF through the service pipeline — the
 * same checks, queue and worker as a signature started in Bitrix24. `submit` checks the file, the grant and
 * the one-time code right here (a wrong code is refused at once and never stored), creates the request,
 * queues it to the key's route and prints its id; with `--wait` it follows the request to its end.
 */

import path from 'node:path';
import { createAccountService } from '../../accounts/account-service.js';
import type { Config } from '../../config.js';
import { loadMasterKey } from '../../crypto/load-master-key.js';
import type { Account } from '../../domain/account.js';
import type { SignPlacement } from '../../domain/sign-request.js';
import { AppError, ErrorCode, errorOutcome } from '../../errors.js';
import { readPdfFile } from '../../fs/read-pdf-file.js';
import { silentLogger } from '../../logger.js';
import { createOtpAuthorizer } from '../../otp/otp-authorizer.js';
import { createTotpVerifier, type TotpVerifier } from '../../otp/verify-totp.js';
import { STAMP_POSITIONS, type StampPosition } from '../../pdf/stamp/stamp-placement.js';
import { openQueue } from '../../process/open-queue.js';
import { submitSignRequest } from '../../sign-requests/submit-sign-request.js';
import { waitForSignRequest } from '../../sign-requests/wait-for-sign-request.js';
import { type CertificateKeySource, createCertificateKeySource } from '../../signing/certificate-key-source.js';
import { openServedTokens, type ServedTokens } from '../../signing/served-tokens.js';
import type { Store } from '../../store/store-ports.js';
import { invalid, parseCommandArgs } from '../cli-args.js';
import { cliConfig } from '../cli-config.js';
import { openCliStore } from '../cli-store.js';
import { snapshotStoreIn } from '../data-dir.js';
import { describeRequest, requestJson } from '../request-format.js';
import { approveCommand, rejectCommand } from './request-answer.js';

const USAGE = `Usage: signservice request <command> [options]

Sign a local PDF through the service: the worker that holds the certificate's key signs it.

Commands:
  submit FILE             check, authorise and queue a signature of FILE; prints the request id
  status ID               where a request stands (state, steps, failure)
  approve ID              approve a request a Bitrix24 robot started (--otp CODE, optional --cert ID)
  reject ID               reject it (--reason TEXT); the workflow is told

Options (submit):
  --account LOGIN         the signer's account (required)
  --cert ID               certificate id from 'signservice cert list' (unique prefix of 8+ digits works; required)
  --otp CODE              the one-time code from the signer's authenticator (not for accounts with OTP disabled)
  --page first|last|N     page of the stamp (default: last)
  --position P            top-left, top-center, top-right, bottom-left, bottom-center, bottom-right (default)
  --invisible             no visible stamp
  --reason TEXT           reason shown in the signature
  --out PATH              where the signed copy goes (default: FILE with "-signed" before .pdf)
  --wait SECONDS          wait for the end; exit 0 only when the request completed
Options (both):
  --json                  print JSON
  --data-dir DIR          data directory (default: $SIGNSERVICE_DATA_DIR, else ./data)
  -h, --help              this help

The store, queue, master key and tokens come from the environment (see README: configuration).`;

const OPTIONS = {
  account: { type: 'string' },
  cert: { type: 'string' },
  otp: { type: 'string' },
  page: { type: 'string' },
  position: { type: 'string' },
  invisible: { type: 'boolean' },
  reason: { type: 'string' },
  out: { type: 'string' },
  wait: { type: 'string' },
  json: { type: 'boolean' },
  'data-dir': { type: 'string' },
} as const;

type Values = ReturnType<typeof parseCommandArgs<typeof OPTIONS>>['values'];

/** Exit code of a wait that ran out before the request ended (sysexits EX_TEMPFAIL: try again later). */
const EXIT_STILL_RUNNING = 75;

function placementOf(values: Values): SignPlacement {
  const page = values.page ?? 'last';
  if (page !== 'first' && page !== 'last' && !/^[1-9]\d{0,5}$/.test(page)) {
    throw invalid(`--page must be first, last or a page number, not '${page}'`);
  }
  const position = values.position ?? 'bottom-right';
  if (!(STAMP_POSITIONS as readonly string[]).includes(position)) {
    throw invalid(`--position must be one of ${STAMP_POSITIONS.join(', ')}, not '${position}'`);
  }
  return {
    page: page === 'first' || page === 'last' ? page : Number(page),
    position: position as StampPosition,
    visible: values.invisible !== true,
  };
}

function waitSeconds(values: Values): number | undefined {
  if (values.wait === undefined) return undefined;
  if (!/^\d{1,5}$/.test(values.wait)) throw invalid(`--wait takes whole seconds, not '${values.wait}'`);
  return Number(values.wait);
}

/** Input and output paths, absolute (the worker may run elsewhere in the file system's view of cwd). */
function filesOf(values: Values, file: string | undefined): { inputPath: string; outputPath: string } {
  if (!file) throw invalid('FILE is required');
  const inputPath = path.resolve(file);
  const parsed = path.parse(inputPath);
  const outputPath = path.resolve(values.out ?? path.join(parsed.dir, `${parsed.name}-signed${parsed.ext || '.pdf'}`));
  if (outputPath === inputPath) throw invalid('--out must differ from FILE: the original stays as it was');
  return { inputPath, outputPath };
}

/** Finds certificates without loading PKCS#11 when the CA or a token snapshot knows them; else opens the tokens. */
export async function keySourceFor(config: Config, opened: ServedTokens[]): Promise<CertificateKeySource> {
  const masterKey = () => loadMasterKey(config.masterKey);
  const snapshots = snapshotStoreIn(config.dataDir);
  const none: ServedTokens = { tokens: [], byRoute: () => undefined, close: async () => {} };
  const quick = createCertificateKeySource({
    dataDir: config.dataDir,
    tokens: none,
    masterKey,
    otherTokens: snapshots,
  });
  return {
    async find(certId) {
      try {
        return await quick.find(certId);
      } catch (error) {
        const unknown = error instanceof AppError && error.code === ErrorCode.CERT_UNKNOWN;
        if (!unknown || config.worker.tokens.length === 0) throw error;
      }
      const tokens = await openServedTokens(config.worker.tokens, { snapshots });
      opened.push(tokens);
      return createCertificateKeySource({ dataDir: config.dataDir, tokens, masterKey, otherTokens: snapshots }).find(
        certId,
      );
    },
  };
}

/**
 * The TOTP verifier, built (and the master key loaded) only when an account actually needs a code. A lockout
 * caused here is announced by e-mail like one caused on a page (lockout-announcer.ts; no Bitrix24 notice).
 */
export function lazyVerifier(config: Config, store: Store): TotpVerifier {
  let verifier: TotpVerifier | undefined;
  const onLocked = async (account: Account, lockedUntil: Date) => {
    // Mail modules load only when a lockout has to be announced: `request --help` and every code that is
    // right stay free of nodemailer and handlebars (start-up cost, test/cli/bundled-cli.test.ts).
    const [{ createMailer }, { loadTemplates }, { lockoutAnnouncer }] = await Promise.all([
      import('../../mail/mailer.js'),
      import('../../mail/render-template.js'),
      import('../../otp/lockout-announcer.js'),
    ]);
    const mailer = createMailer(config.mail, { print: () => undefined });
    try {
      await lockoutAnnouncer({
        store,
        mailer,
        renderer: loadTemplates(),
        defaultLanguage: config.defaultLanguage,
        ...(config.adminEmail ? { adminEmail: config.adminEmail } : {}),
        logger: silentLogger,
      })(account, lockedUntil);
    } finally {
      mailer.close();
    }
  };
  return {
    verify: (options) => {
      verifier ??= createTotpVerifier({
        store,
        masterKey: loadMasterKey(config.masterKey),
        settings: config.otp,
        onLocked,
      });
      return verifier.verify(options);
    },
  };
}

async function submit(config: Config, store: Store, values: Values, file: string | undefined): Promise<number> {
  if (!values.account) throw invalid('--account LOGIN is required');
  if (!values.cert) throw invalid('--cert ID is required');
  const placement = placementOf(values);
  const wait = waitSeconds(values);
  const { inputPath, outputPath } = filesOf(values, file);
  await readPdfFile(inputPath, { maxBytes: config.worker.maxDocumentBytes, headerOnly: true });
  const account = await createAccountService({ store }).get({ login: values.account });
  const queue = await openQueue(config);
  const opened: ServedTokens[] = [];
  try {
    const request = await submitSignRequest({
      store,
      queue,
      keys: await keySourceFor(config, opened),
      authorizer: createOtpAuthorizer({ store, verifier: lazyVerifier(config, store) }),
      account,
      certId: values.cert,
      otp: values.otp,
      document: { kind: 'file', inputPath, outputPath },
      placement,
      ...(values.reason ? { reason: values.reason } : {}),
      actor: { role: 'cli' },
      onQueueDeferred: (error) =>
        process.stderr.write(
          `signservice: the request is stored, but its job could not be queued now (${error.message}); ` +
            'the service queues it by itself within RECOVERY_SWEEP_SECONDS once it runs.\n',
        ),
    });
    if (!values.json) {
      process.stdout.write(`${request.id}\n`);
      process.stderr.write(`Queued to ${request.route}; see: signservice request status ${request.id}\n`);
    }
    if (wait === undefined) {
      if (values.json) process.stdout.write(`${JSON.stringify(requestJson(request), null, 2)}\n`);
      return 0;
    }
    return await follow(store, request.id, wait, values.json === true);
  } finally {
    await queue.close();
    for (const tokens of opened) await tokens.close();
  }
}

/** Waits for the request; prints how it ended. */
async function follow(store: Store, id: string, seconds: number, json: boolean): Promise<number> {
  const request = await waitForSignRequest({ store, id, timeoutMs: seconds * 1000 });
  if (json) process.stdout.write(`${JSON.stringify(requestJson(request), null, 2)}\n`);
  if (request.state === 'completed') {
    const out = request.document.kind === 'file' ? request.document.outputPath : 'its destination';
    if (!json) process.stderr.write(`Completed: the signed document is in ${out}\n`);
    return 0;
  }
  if (request.state === 'failed') {
    const failure = request.failure ?? { code: ErrorCode.INTERNAL, message: 'no reason recorded' };
    process.stderr.write(`signservice: request ${id} failed: ${failure.message} (${failure.code})\n`);
    const code = failure.code in ErrorCode ? (failure.code as ErrorCode) : ErrorCode.INTERNAL;
    return errorOutcome(new AppError(code, failure.message)).exit;
  }
  process.stderr.write(
    `signservice: request ${id} is still ${request.state} after ${seconds} s; it goes on in the background\n`,
  );
  return EXIT_STILL_RUNNING;
}

async function status(store: Store, values: Values, id: string | undefined): Promise<number> {
  if (!id) throw invalid('ID is required');
  const request = await store.signRequests.get(id);
  if (!request) throw new AppError(ErrorCode.SIGN_REQUEST_NOT_FOUND, `No sign request with id ${id}`);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(requestJson(request), null, 2)}\n`);
    return 0;
  }
  const login = (await store.accounts.get(request.accountId))?.login;
  process.stdout.write(`${describeRequest(request, login)}\n`);
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  const [command, argument, extra] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 64;
  }
  if (!['submit', 'status', 'approve', 'reject'].includes(command)) {
    throw invalid(`unknown request command '${command}'`);
  }
  if (extra !== undefined) throw invalid(`unexpected argument '${extra}'`);
  const config = cliConfig(values['data-dir']);
  const { store } = await openCliStore(config, { createMasterKey: true });
  try {
    if (command === 'approve')
      return await approveCommand(config, store, values, argument, { keySourceFor, lazyVerifier });
    if (command === 'reject') return await rejectCommand(config, store, values, argument);
    return command === 'submit' ? await submit(config, store, values, argument) : await status(store, values, argument);
  } finally {
    await store.close();
  }
}
