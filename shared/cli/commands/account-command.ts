/**
 * `signservice account add | list | show | time-zone | disable-otp | enable-otp | unlock | enroll-link | grant | revoke`:
 * signer accounts, their OTP enrollment links and certificate grants, on the store the configuration
 * names (embedded SQLite file in the data directory, or MongoDB with MONGO_URL).
 */
import { type AccountService, createAccountService } from '../../accounts/account-service.js';
import { createGrantService, type GrantService } from '../../accounts/grant-service.js';
import { editAccount } from '../../admin/edit-account.js';
import type { Config } from '../../config.js';
import { loadMasterKey } from '../../crypto/load-master-key.js';
import type { Account } from '../../domain/account.js';
import type { SignLogActor } from '../../domain/sign-log-entry.js';
import { isLanguage } from '../../i18n/messages.js';
import { createEnrollmentService } from '../../otp/enrollment-service.js';
import type { Store } from '../../store/store-ports.js';
import { describeAccount, describeAccountList } from '../account-format.js';
import { invalid, parseCommandArgs } from '../cli-args.js';
import { cliConfig } from '../cli-config.js';
import { openCliStore } from '../cli-store.js';
import { answerHelp, type GroupHelp } from '../command-help.js';
import { caStoreIn, DATA_DIR_FLAG, DATA_DIR_TEXT } from '../data-dir.js';

const HELP: GroupHelp = {
  group: 'account',
  about: 'Signer accounts: who may sign, how they confirm (one-time codes), and with which certificates.',
  subcommands: {
    add: {
      usage:
        'LOGIN [--description TEXT] [--email ADDRESS] [--portal MEMBER_ID [--bitrix-user N]] [--time-zone ZONE] [--otp-disabled]',
      summary: 'create an account (of a portal with --portal; without: service-wide)',
      details:
        'Creates a signer account. With --portal it belongs to that Bitrix24 portal, and only users of that portal\n' +
        'can be linked to it (now with --bitrix-user, or later by e-mail); without, it is service-wide.',
      options: ['description', 'email', 'portal', 'bitrix-user', 'time-zone', 'otp-disabled'],
    },
    list: {
      usage: '[--portal MEMBER_ID] [--json]',
      summary: "list the accounts (one portal's with --portal)",
      options: ['portal', 'json'],
    },
    show: {
      usage: 'LOGIN [--json]',
      summary: 'one account with its OTP state and certificate grants',
      options: ['json'],
    },
    'time-zone': {
      usage: 'LOGIN ZONE|none',
      summary: "set the time zone of the times this person is shown ('none': the Bitrix24 user's, else TZ)",
      details:
        "Pages, e-mails, notices and the stamp show times in the Bitrix24 user's time zone when Bitrix24 names one,\n" +
        "else in this account's zone (an IANA name such as Europe/Moscow), else in the service's (TZ).",
      options: [],
    },
    'disable-otp': {
      usage: 'LOGIN',
      summary: 'let the account sign WITHOUT a one-time code (logged on every signature)',
      options: [],
    },
    'enable-otp': { usage: 'LOGIN', summary: 'require one-time codes again', options: [] },
    unlock: { usage: 'LOGIN', summary: 'lift a lockout after wrong codes', options: [] },
    'enroll-link': {
      usage: 'LOGIN [--send] [--lang en|ru]',
      summary: 'create a one-time enrollment link for the authenticator app (--send e-mails it)',
      details:
        'Creates a single-use link (valid ENROLLMENT_LINK_MINUTES) where the person sets up the authenticator app;\n' +
        "a newer link replaces an older one. Prints it; --send e-mails it to the account's address too.",
      options: ['send', 'lang'],
    },
    grant: {
      usage: 'LOGIN CERT-ID [--default]',
      summary: 'let the account sign with a certificate (--default makes it the preselected one)',
      details:
        'Lets the account sign with a certificate of the inventory (its id, or a unique prefix of 8+ digits, as\n' +
        "'signservice cert list' shows). A certificate the inventory does not hold is refused (CERT_UNKNOWN).",
      options: ['default'],
    },
    revoke: { usage: 'LOGIN CERT-ID', summary: 'take a certificate away', options: [] },
  },
  options: {
    description: ['--description TEXT', 'what tells this person apart, e.g. "Mary Smith, accounting"'],
    email: ['--email ADDRESS', 'where enrollment links and notices go'],
    portal: ['--portal MEMBER_ID', 'the Bitrix24 portal the account belongs to (its member_id)'],
    'bitrix-user': ['--bitrix-user N', 'link the account to this user id of the --portal now'],
    'time-zone': ['--time-zone ZONE', 'IANA time zone of the times shown to this person, e.g. Europe/Moscow'],
    'otp-disabled': ['--otp-disabled', 'create the account with OTP disabled'],
    send: ['--send', "e-mail the link to the account's address"],
    lang: ['--lang en|ru', 'language of the e-mail (default: DEFAULT_LANGUAGE)'],
    default: ['--default', "make this the account's default certificate"],
    json: ['--json', 'print JSON'],
    'data-dir': [DATA_DIR_FLAG, DATA_DIR_TEXT],
    help: ['-h, --help', 'this help'],
  },
  common: ['data-dir', 'help'],
  footer: 'The store, master key, mail and link settings come from the environment (see README "Settings").',
};

const OPTIONS = {
  description: { type: 'string' },
  email: { type: 'string' },
  portal: { type: 'string' },
  'bitrix-user': { type: 'string' },
  'time-zone': { type: 'string' },
  'otp-disabled': { type: 'boolean' },
  send: { type: 'boolean' },
  lang: { type: 'string' },
  default: { type: 'boolean' },
  json: { type: 'boolean' },
  'data-dir': { type: 'string' },
} as const;

type Values = ReturnType<typeof parseCommandArgs<typeof OPTIONS>>['values'];

interface Context {
  config: Config;
  store: Store;
  accounts: AccountService;
  grants: GrantService;
  values: Values;
  args: string[];
  out: (text: string) => void;
  warn: (text: string) => void;
}

const ACTOR: SignLogActor = { role: 'cli' };

function argument(args: string[], index: number, name: string): string {
  const value = args[index];
  if (!value) throw invalid(`${name} is required`);
  return value;
}

const loginOf = (ctx: Context) => argument(ctx.args, 0, 'LOGIN');

function bitrixLink(values: Values) {
  const member = values.portal;
  const user = values['bitrix-user'];
  if (user === undefined) return undefined;
  if (!member || !/^\d+$/.test(user)) throw invalid('--bitrix-user takes a numeric user id of the --portal');
  return { memberId: member, userId: Number(user) };
}

/** The account fields worth printing: the sealed OTP secret stays out, only whether one exists. */
function publicAccount(a: Account) {
  const { otp, ...rest } = a;
  return { ...rest, otp: otp ? { enrolledAt: otp.enrolledAt } : undefined };
}

async function add(ctx: Context): Promise<void> {
  const { values } = ctx;
  const bitrix = bitrixLink(values);
  const account = await ctx.accounts.add({
    login: loginOf(ctx),
    ...(values.description !== undefined ? { description: values.description } : {}),
    ...(values.email !== undefined ? { email: values.email } : {}),
    ...(values.portal !== undefined ? { memberId: values.portal } : {}),
    ...(bitrix ? { bitrix } : {}),
    ...(values['time-zone'] !== undefined ? { timeZone: values['time-zone'] } : {}),
    otpDisabled: values['otp-disabled'] === true,
    actor: ACTOR,
  });
  ctx.out(`Created account ${account.login} (${account.id}).`);
  if (account.otpDisabled) ctx.warn(`WARNING: ${account.login} signs WITHOUT one-time codes.`);
  else ctx.out(`Next: signservice account enroll-link ${account.login} --send`);
}

async function list(ctx: Context): Promise<void> {
  const all = await ctx.accounts.list(ctx.values.portal !== undefined ? { memberId: ctx.values.portal } : {});
  ctx.out(ctx.values.json ? JSON.stringify(all.map(publicAccount), null, 2) : describeAccountList(all));
}

async function show(ctx: Context): Promise<void> {
  const account = await ctx.accounts.get({ login: loginOf(ctx) });
  const granted = await ctx.grants.list(account);
  ctx.out(
    ctx.values.json
      ? JSON.stringify({ ...publicAccount(account), grants: granted }, null, 2)
      : describeAccount(account, granted),
  );
}

async function timeZone(ctx: Context): Promise<void> {
  const account = await ctx.accounts.get({ login: loginOf(ctx) });
  const zone = argument(ctx.args, 1, 'ZONE');
  const next = await editAccount({
    store: ctx.store,
    account,
    change: { timeZone: zone === 'none' ? null : zone },
    actor: ACTOR,
    now: new Date(),
  });
  ctx.out(
    next.timeZone
      ? `${next.login} sees times in ${next.timeZone} (unless Bitrix24 names a time zone for the user).`
      : `${next.login} has no time zone of its own: the Bitrix24 user's, else the service's (TZ).`,
  );
}

async function disableOtp(ctx: Context): Promise<void> {
  const account = await ctx.accounts.setOtpDisabled({ login: loginOf(ctx), disabled: true, actor: ACTOR });
  ctx.warn(
    `WARNING: ${account.login} now signs WITHOUT a one-time code. Anyone who can start a signature in ` +
      `this person's name can sign; every such signature is logged as "signed without OTP".`,
  );
}

async function enableOtp(ctx: Context): Promise<void> {
  const account = await ctx.accounts.setOtpDisabled({ login: loginOf(ctx), disabled: false, actor: ACTOR });
  ctx.out(`${account.login} needs a one-time code for every signature again.`);
  if (!account.otp) ctx.out(`It has no authenticator yet: signservice account enroll-link ${account.login} --send`);
}

async function unlock(ctx: Context): Promise<void> {
  const account = await ctx.accounts.unlock({ login: loginOf(ctx), actor: ACTOR });
  ctx.out(`Unlocked ${account.login}.`);
}

async function enrollLink(ctx: Context): Promise<void> {
  const { config, store, values } = ctx;
  const language = values.lang ?? config.defaultLanguage;
  if (!isLanguage(language)) throw invalid(`--lang must be en or ru, not '${language}'`);
  const account = await ctx.accounts.get({ login: loginOf(ctx) });
  if (values.send && !account.email) throw invalid(`account '${account.login}' has no e-mail address`);
  const enrollment = createEnrollmentService({
    store,
    masterKey: loadMasterKey(config.masterKey, { warn: ctx.warn }),
    issuer: config.otp.issuer,
    publicBaseUrl: config.publicBaseUrl,
    linkMinutes: config.enrollmentLinkMinutes,
  });
  const link = await enrollment.createLink({ account, actor: ACTOR });
  ctx.out(`Enrollment link for ${account.login} (works once, until ${link.expiresAt.toISOString()}):\n${link.url}`);
  if (!values.send) return;
  // Mail (nodemailer, handlebars) is loaded only when a link is e-mailed.
  const [{ createMailer }, { loadTemplates }, { sendEnrollmentMail }] = await Promise.all([
    import('../../mail/mailer.js'),
    import('../../mail/render-template.js'),
    import('../../mail/send-enrollment-mail.js'),
  ]);
  const mailer = createMailer(config.mail, { print: ctx.warn });
  try {
    await sendEnrollmentMail({
      mailer,
      renderer: loadTemplates(),
      to: account.email,
      login: account.login,
      language,
      url: link.url,
      expiresAt: link.expiresAt,
      issuer: config.otp.issuer,
      ...(account.timeZone ? { timeZone: account.timeZone } : {}),
    });
  } finally {
    mailer.close();
  }
  ctx.out(`E-mailed to ${account.email} (${language}).`);
}

async function grant(ctx: Context): Promise<void> {
  const account = await ctx.accounts.get({ login: loginOf(ctx) });
  const certId = argument(ctx.args, 1, 'CERT-ID');
  // The inventory the service sees: the internal CA and the tokens' last listings in the data directory.
  const { dataDir } = ctx.config;
  const { loadServiceInventory } = await import('../../admin/service-inventory.js');
  const { entries } = await loadServiceInventory({ caStore: caStoreIn(dataDir), dataDir, now: new Date() });
  const granted = await ctx.grants.grant({
    account,
    certId,
    inventory: entries,
    isDefault: ctx.values.default === true,
    actor: ACTOR,
  });
  ctx.out(`Granted ${granted.certId} to ${account.login}${granted.isDefault ? ' (default)' : ''}.`);
}

async function revoke(ctx: Context): Promise<void> {
  const account = await ctx.accounts.get({ login: loginOf(ctx) });
  const certId = argument(ctx.args, 1, 'CERT-ID');
  await ctx.grants.revoke({ account, certId, actor: ACTOR });
  ctx.out(`Revoked ${certId} from ${account.login}.`);
}

const SUBCOMMANDS: Record<string, (ctx: Context) => Promise<void>> = {
  add,
  list,
  show,
  'time-zone': timeZone,
  'disable-otp': disableOtp,
  'enable-otp': enableOtp,
  unlock,
  'enroll-link': enrollLink,
  grant,
  revoke,
};

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  const helped = answerHelp(HELP, positionals, values.help === true);
  if (helped !== undefined) return helped;
  const [command, ...args] = positionals as [string, ...string[]];
  const subcommand = SUBCOMMANDS[command];
  if (!subcommand) throw invalid(`unknown account command '${command}'`);
  const config = cliConfig(values['data-dir']);
  const { store } = await openCliStore(config);
  try {
    await subcommand({
      config,
      store,
      accounts: createAccountService({ store }),
      grants: createGrantService({ store }),
      values,
      args,
      out: (text) => process.stdout.write(`${text}\n`),
      warn: (text) => process.stderr.write(`${text}\n`),
    });
    return 0;
  } finally {
    await store.close();
  }
}
