/**
 * Starts the notice sweep of a worker process from the configuration: the mailer (SMTP, or the outbox
 * folder in embedded mode), the templates, the master key (approval links are signed with a key derived
 * from it) and the sweep interval (ROBOT_SWEEP_SECONDS, shared with the robot sweep).
 */
import type { Bitrix24App } from '../../shared/bitrix24/bitrix24-app.js';
import type { Config } from '../../shared/config.js';
import { loadMasterKey } from '../../shared/crypto/load-master-key.js';
import type { Logger } from '../../shared/logger.js';
import { createMailer } from '../../shared/mail/mailer.js';
import { loadTemplates } from '../../shared/mail/render-template.js';
import type { Store } from '../../shared/store/store-ports.js';
import { startNoticeSweep } from './notice-sweep.js';
import { signingNotices } from './signing-notices.js';

/** The running sweep; `stop` waits for a pass in progress and closes the mailer. */
export interface RunningNotices {
  stop(): Promise<void>;
}

/** Starts sending the signing notices of `b24`'s portals. */
export function startSigningNotices(options: {
  config: Pick<Config, 'mail' | 'masterKey' | 'publicBaseUrl' | 'defaultLanguage' | 'bitrix24'>;
  store: Store;
  b24: Bitrix24App;
  logger: Logger;
}): RunningNotices {
  const { config, store, logger } = options;
  const log = logger.child({ component: 'notices' });
  const mailer = createMailer(config.mail, { logger: log });
  const now = () => new Date();
  const notices = signingNotices({
    store,
    b24: options.b24,
    mailer,
    renderer: loadTemplates(),
    masterKey: loadMasterKey(config.masterKey, { warn: (line) => log.warn({}, line) }),
    publicBaseUrl: config.publicBaseUrl,
    defaultLanguage: config.defaultLanguage,
    logger: log,
    now,
  });
  const sweep = startNoticeSweep({ store, notices, logger: log, now }, config.bitrix24.sweepIntervalMs);
  return {
    async stop() {
      await sweep.stop();
      mailer.close();
    },
  };
}
