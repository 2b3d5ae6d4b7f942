/**
 * What the admin API's routes need, built once by admin-routers.ts from the app's dependencies: the store,
 * the master key, the services the CLI uses too (accounts, grants, enrollment, the internal CA), mail, the
 * queue, the Bitrix24 side, and the operations reports.
 */
import type { AccountService } from '../../shared/accounts/account-service.js';
import type { GrantService } from '../../shared/accounts/grant-service.js';
import type { AdminSessionService } from '../../shared/admin/admin-session-service.js';
import type { ApiTokenService } from '../../shared/admin/api-token-service.js';
import type { OperatorService } from '../../shared/admin/operator-service.js';
import type { Bitrix24App } from '../../shared/bitrix24/bitrix24-app.js';
import type { AppUrls } from '../../shared/bitrix24/robot-definition.js';
import type { Inventory } from '../../shared/crypto/certificate-inventory.js';
import type { CaStore } from '../../shared/crypto/internal-ca/ca-store.js';
import type { MasterKey } from '../../shared/crypto/master-key.js';
import type { ReadinessReport } from '../../shared/health/readiness.js';
import type { ServiceMetrics } from '../../shared/health/service-metrics.js';
import type { Language } from '../../shared/i18n/messages.js';
import type { Logger } from '../../shared/logger.js';
import type { Mailer } from '../../shared/mail/mailer.js';
import type { TemplateRenderer } from '../../shared/mail/render-template.js';
import type { EnrollmentService } from '../../shared/otp/enrollment-service.js';
import type { JobQueue } from '../../shared/queue/queue-port.js';
import type { Store } from '../../shared/store/store-ports.js';

export interface AdminApiDeps {
  store: Store;
  masterKey: MasterKey;
  logger: Logger;
  now: () => Date;
  renderer: TemplateRenderer;
  publicBaseUrl: string;
  defaultLanguage: Language;
  otpIssuer: string;
  accounts: AccountService;
  grants: GrantService;
  enrollment: EnrollmentService;
  operators: OperatorService;
  sessions: AdminSessionService;
  tokens: ApiTokenService;
  caStore: CaStore;
  /** The certificate inventory as the service sees it (internal CA + the token snapshots workers leave). */
  inventory(): Promise<Inventory>;
  /** Sends enrollment links; absent: links can only be copied. */
  mailer?: Mailer;
  queue?: JobQueue;
  /** The routes jobs may be parked on (knownRoutes: `internal`, the configured tokens, the tokens seen). */
  queueRoutes(): Promise<string[]>;
  bitrix24?: { app: Bitrix24App; urls: AppUrls; fetch?: typeof fetch };
  readiness?: () => Promise<ReadinessReport>;
  metrics?: ServiceMetrics;
  /** Secure cookies (HTTPS). */
  secureCookies: boolean;
  /** The CSRF token the page of panel session `sessionId` sends with every state change (admin-auth.ts). */
  csrfTokenFor(sessionId: string): string;
}
