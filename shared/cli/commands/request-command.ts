/**
 * `signservice request submit FILE … | status ID | approve ID … | reject ID`: sign local PDFs through the
 * service pipeline — the same checks, queue and worker as a signature started in Bitrix24 — and answer the
 * requests a Bitrix24 robot started. `submit` (request-submit.ts) checks the files, the grant and the one-time
 * code right here (a wrong code is refused at once and never stored), creates one request per file, queues
 * them to the key's route and prints their ids; with `--wait` it follows them to their end. Several files,
 * or several ids to approve, take one code for all (a batch, each file still its own request).
 */

import type { Config } from '../../config.js';
import { loadMasterKey } from '../../crypto/load-master-key.js';
import type { Account } from '../../domain/account.js';
import { AppError, ErrorCode } from '../../errors.js';
import { silentLogger } from '../../logger.js';
import { createTotpVerifier, type TotpVerifier } from '../../otp/verify-totp.js';
import { type CertificateKeySource, createCertificateKeySource } from '../../signing/certificate-key-source.js';
import { openServedTokens, type ServedTokens } from '../../signing/served-tokens.js';
import type { Store } from '../../store/store-ports.js';
import { invalid, parseCommandArgs } from '../cli-args.js';
import { cliConfig } from '../cli-config.js';
import { openCliStore } from '../cli-store.js';
import { snapshotStoreIn } from '../data-dir.js';
import { describeRequest, requestJson } from '../request-format.js';
import { approveCommand, rejectCommand } from './request-answer.js';
import { submitCommand } from './request-submit.js';

const USAGE = `Usage: signservice request <command> [options]

Sign a local PDF through the service: the worker that holds the certificate's key signs it.

Commands:
  submit FILE [FILE…]     check, authorise and queue a signature of each FILE; prints one request id per line
                          (several files: one code signs them all, each as its own request, one batch id)
  status ID               where a request stands (state, steps, failure, batch)
  approve ID [ID…]        approve requests a Bitrix24 robot started (--otp CODE, optional --cert ID); several
                          ids: one code for all of them (they must wait for the same account)
  reject ID               reject it (--reason TEXT); the workflow is told

Options (submit):
  --account LOGIN         the signer's account (required)
  --cert ID               certificate id from 'signservice cert list' (unique prefix of 8+ digits works; required)
  --otp CODE              the one-time code from the signer's authenticator (not for accounts with OTP disabled)
  --page first|last|N     page of the stamp (default: last)
  --position P            top-left, top-center, top-right, bottom-left, bottom-center, bottom-right (default)
  --invisible             no visible stamp
  --reason TEXT           reason shown in the signature
  --out PATH              where the signed copy of one FILE goes (default: FILE with "-signed" before .pdf)
  --wait SECONDS          wait for the end; exit 0 only when every request completed
Options (both):
  --json                  print JSON
  --data-dir DIR          data directory (default: $SIGNSERVICE_DATA_DIR, else ./data)
  -h, --help              this help

At most BATCH_MAX_DOCUMENTS (default 100) files or ids take one code. The store, queue, master key and tokens
come from the environment (see README: configuration).`;

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
  const [command, ...args] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 64;
  }
  if (!['submit', 'status', 'approve', 'reject'].includes(command)) {
    throw invalid(`unknown request command '${command}'`);
  }
  // submit and approve take several; status and reject one.
  const [argument, extra] = args;
  if (!['submit', 'approve'].includes(command) && extra !== undefined) throw invalid(`unexpected argument '${extra}'`);
  const config = cliConfig(values['data-dir']);
  const { store } = await openCliStore(config, { createMasterKey: true });
  try {
    const tools = { keySourceFor, lazyVerifier };
    if (command === 'approve') return await approveCommand(config, store, values, args, tools);
    if (command === 'reject') return await rejectCommand(config, store, values, argument);
    if (command === 'submit') return await submitCommand(config, store, values, args, tools);
    return await status(store, values, argument);
  } finally {
    await store.close();
  }
}
