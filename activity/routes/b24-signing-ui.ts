/**
 * The signer-facing Bitrix24 pages as one unit for createApp: the Sign dialog (placement POST), its API,
 * the approval page and its batch pages ("Waiting for me", confirmation, progress), over one set of dependencies — the certificate inventory as the service sees it
 * (internal CA in the data directory plus the token snapshots the workers left there; this process serves
 * no token), the OTP gate (TOTP verifier with lockout e-mails when a mailer is given), and the limits
 * (long polls per session and in total, the preview's pdftoppm pool) of config.limits.
 */
import type { Router } from '@koa/router';
import type { Bitrix24App } from '../../shared/bitrix24/bitrix24-app.js';
import type { ActivityLimits, Config } from '../../shared/config.js';
import { FileTokenSnapshotStore } from '../../shared/crypto/file-token-snapshot-store.js';
import type { MasterKey } from '../../shared/crypto/master-key.js';
import type { Account } from '../../shared/domain/account.js';
import type { Logger } from '../../shared/logger.js';
import type { TemplateRenderer } from '../../shared/mail/render-template.js';
import { createOtpAuthorizer } from '../../shared/otp/otp-authorizer.js';
import { createTotpVerifier } from '../../shared/otp/verify-totp.js';
import type { JobQueue } from '../../shared/queue/queue-port.js';
import { type CertificateKeySource, createCertificateKeySource } from '../../shared/signing/certificate-key-source.js';
import type { ServedTokens } from '../../shared/signing/served-tokens.js';
import type { Store } from '../../shared/store/store-ports.js';
import type { B24UiDeps } from '../b24/b24-ui-deps.js';
import { pageRenderPool } from '../b24/page-render-pool.js';
import type { CsrfTokens } from '../middleware/csrf-guard.js';
import { pollSlots } from '../middleware/poll-slots.js';
import { approvalRoutes } from './approval.js';
import { approvalBatchRoutes } from './approval-batch.js';
import { dialogApiRoutes } from './dialog-api.js';
import { signDialogRoutes } from './sign-dialog.js';

/** The limits when config.limits is not given (the defaults of shared/config.ts). */
const DEFAULT_LIMITS: ActivityLimits = { pollsPerSession: 2, pollsTotal: 100, previewProcesses: 2 };
/** BATCH_MAX_DOCUMENTS when the configuration does not say. */
const DEFAULT_BATCH_MAX_DOCUMENTS = 100;

export interface SigningUiOptions {
  config: Pick<Config, 'publicBaseUrl' | 'otp' | 'defaultLanguage'> &
    Partial<Pick<Config, 'dataDir' | 'worker' | 'limits' | 'batchMaxDocuments'>>;
  /** The app's CSRF tokens (one set for every page). */
  csrf: CsrfTokens;
  /** Announces a lockout to the signer and the administrator (lockout-announcer.ts). */
  onLocked?: (account: Account, lockedUntil: Date) => Promise<void>;
  store: Store;
  masterKey: MasterKey;
  renderer: TemplateRenderer;
  b24: Bitrix24App;
  queue: JobQueue;
  logger: Logger;
  now: () => Date;
  /** @default the internal CA and token snapshots of `config.dataDir` */
  keys?: CertificateKeySource;
  /** For calls with a page's own AUTH_ID. @default global fetch */
  fetch?: typeof fetch;
}

const NO_TOKENS: ServedTokens = { tokens: [], byRoute: () => undefined, close: async () => {} };

/** The routers of the Sign dialog, its API and the approval page. */
export function signingUiRouters(options: SigningUiOptions): Router[] {
  const { config, store, masterKey, logger, now } = options;
  const dataDir = config.dataDir ?? './data';
  const keys =
    options.keys ??
    createCertificateKeySource({
      dataDir,
      tokens: NO_TOKENS,
      masterKey: () => masterKey,
      otherTokens: new FileTokenSnapshotStore(dataDir),
    });
  const verifier = createTotpVerifier({
    store,
    masterKey,
    settings: config.otp,
    now,
    logger,
    ...(options.onLocked ? { onLocked: options.onLocked } : {}),
  });
  const limits = config.limits ?? DEFAULT_LIMITS;
  const deps: B24UiDeps = {
    store,
    masterKey,
    renderer: options.renderer,
    b24: options.b24,
    queue: options.queue,
    keys,
    authorizer: createOtpAuthorizer({ store, verifier, logger }),
    publicBaseUrl: config.publicBaseUrl,
    defaultLanguage: config.defaultLanguage,
    logger,
    now,
    maxDocumentBytes: config.worker?.maxDocumentBytes ?? 100 * 1024 * 1024,
    batchMaxDocuments: config.batchMaxDocuments ?? DEFAULT_BATCH_MAX_DOCUMENTS,
    csrf: options.csrf,
    origin: new URL(config.publicBaseUrl).origin,
    polls: pollSlots({ perKey: limits.pollsPerSession, total: limits.pollsTotal }),
    pages: pageRenderPool({ processes: limits.previewProcesses }),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };
  return [signDialogRoutes(deps), dialogApiRoutes(deps), approvalRoutes(deps), approvalBatchRoutes(deps)];
}
