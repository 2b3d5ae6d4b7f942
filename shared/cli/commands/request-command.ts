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
import { answerHelp } from '../command-help.js';
import { snapshotStoreIn } from '../data-dir.js';
import { describeRequest, requestJson } from '../request-format.js';
import { approveCommand, rejectCommand } from './request-answer.js';
import { REQUEST_HELP } from './request-help.js';
import { submitCommand } from './request-submit.js';

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
  const helped = answerHelp(REQUEST_HELP, positionals, values.help === true);
  if (helped !== undefined) return helped;
  const [command, ...args] = positionals as [string, ...string[]];
  // submit and approve take several; status and reject one.
  const [argument, extra] = args;
  if (!['submit', 'approve'].includes(command) && extra !== undefined) throw invalid(`unexpected argument '${extra}'`);
  const config = cliConfig(values['data-dir']);
  const { store } = await openCliStore(config);
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
