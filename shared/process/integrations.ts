/**
 * Which integrations a service process has, and for each one that is off, why and what turns it on: the
 * start banner of `npm start` prints these lines, and `start:worker` logs them. Nothing secret is shown:
 * of SMTP_URL only the host and port, of the app's keys only whether they are set.
 */
import type { Config } from '../config.js';

export interface Integration {
  /** "Bitrix24", "Mail", … */
  name: string;
  on: boolean;
  /** What it does, or why it is off and which settings turn it on. */
  detail: string;
}

/** host:port of a URL, never its user or password. */
function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return u.port ? `${u.hostname}:${u.port}` : u.hostname;
  } catch {
    return 'an address that is not a URL';
  }
}

type IntegrationConfig = Pick<Config, 'bitrix24' | 'mail' | 'worker' | 'signLog' | 'adminEmail' | 'publicBaseUrl'>;

export function describeIntegrations(config: IntegrationConfig): Integration[] {
  const signing = config.worker.signing;
  return [
    config.bitrix24.app
      ? {
          name: 'Bitrix24',
          on: true,
          detail: `app ${config.bitrix24.app.clientId}; install URL ${config.publicBaseUrl}/b24/install`,
        }
      : {
          name: 'Bitrix24',
          on: false,
          detail:
            "off: set B24_CLIENT_ID and B24_CLIENT_SECRET (the keys of the portal's local application); until " +
            'then /b24/… answers 503',
        },
    config.mail.kind === 'smtp'
      ? {
          name: 'Mail',
          on: true,
          detail: `SMTP server ${hostOf(config.mail.url)} (SMTP_URL), from ${config.mail.from}`,
        }
      : {
          name: 'Mail',
          on: false,
          detail: `not sent: written as .eml files to the outbox folder ${config.mail.dir} (set SMTP_URL to send)`,
        },
    signing?.tsaUrl
      ? {
          name: 'Timestamp',
          on: true,
          detail: `${hostOf(signing.tsaUrl)} (TSA_URL); internal-CA signatures at PAdES ${signing.internalCaLevel}`,
        }
      : {
          name: 'Timestamp',
          on: false,
          detail: 'none: signatures are PAdES B-B, without a timestamp (set TSA_URL for B-T, B-LT, B-LTA)',
        },
    config.signLog.tsaUrl
      ? { name: 'Sign log', on: true, detail: `checkpoints timestamped by ${hostOf(config.signLog.tsaUrl)}` }
      : { name: 'Sign log', on: false, detail: 'checkpoints are signed, not timestamped (set SIGN_LOG_TSA_URL)' },
    config.adminEmail
      ? { name: 'Operator', on: true, detail: `lockout notices also go to ${config.adminEmail} (ADMIN_EMAIL)` }
      : {
          name: 'Operator',
          on: false,
          detail: 'no operator address: lockout notices go to signers and portal administrators only (ADMIN_EMAIL)',
        },
  ];
}

/** The banner's lines: `  Name:      detail`. */
export function integrationLines(config: IntegrationConfig): string[] {
  return describeIntegrations(config).map((i) => `  ${`${i.name}:`.padEnd(11)}${i.detail}`);
}
