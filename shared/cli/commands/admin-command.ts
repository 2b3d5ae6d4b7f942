/**
 * `signservice admin add | reset-otp | unlock | token create | token list | token revoke`: operators of the
 * control panel and API tokens for scripts, on the store the configuration names. The password comes from
 * a file (never the command line, where `ps` would show it); a token's text is printed once.
 */
import fs from 'node:fs';
import { createApiTokenService } from '../../admin/api-token-service.js';
import { createOperatorService } from '../../admin/operator-service.js';
import { AppError, ErrorCode } from '../../errors.js';
import { errnoSentence } from '../../fs/file-error.js';
import type { Store } from '../../store/store-ports.js';
import { invalid, parseCommandArgs } from '../cli-args.js';
import { cliConfig } from '../cli-config.js';
import { openCliStore } from '../cli-store.js';
import { answerHelp, type GroupHelp } from '../command-help.js';
import { DATA_DIR_FLAG, DATA_DIR_TEXT } from '../data-dir.js';

const HELP: GroupHelp = {
  group: 'admin',
  about: 'Operators of the SignService Control Panel (<PUBLIC_BASE_URL>/admin) and API tokens for scripts.',
  subcommands: {
    add: {
      usage: 'LOGIN --password-file F',
      summary: 'create an operator; the first sign-in sets up the authenticator app (QR code)',
      details:
        'Creates an operator of the control panel (every portal). The password is the first line of F (at least\n' +
        '12 characters; never on the command line, where ps would show it). The first sign-in sets up the\n' +
        'authenticator app with a QR code.',
      options: ['password-file'],
    },
    'reset-otp': {
      usage: 'LOGIN',
      summary: "forget the operator's authenticator (next sign-in sets it up again)",
      options: [],
    },
    unlock: { usage: 'LOGIN', summary: 'lift a lockout after failed sign-ins', options: [] },
    'token create': {
      usage: '--name N [--scope read|admin] [--portal MEMBER_ID] [--json]',
      summary: 'create an API token (printed once; stored only as a hash)',
      details:
        "Creates an API token for scripts ('Authorization: Bearer <token>'). Its text is printed once and stored\n" +
        'only as a hash; --portal limits it to one portal.',
      options: ['name', 'scope', 'portal', 'json'],
    },
    'token list': { usage: '[--json]', summary: 'list API tokens (never their text)', options: ['json'] },
    'token revoke': { usage: 'ID|NAME', summary: 'revoke an API token', options: [] },
  },
  options: {
    'password-file': ['--password-file F', 'file whose first line is the password'],
    name: ['--name N', 'a name that says what the token is for, e.g. hr-sync'],
    scope: ['--scope read|admin', 'what the token may do (default read)'],
    portal: ['--portal MEMBER_ID', "only this portal's data"],
    json: ['--json', 'print JSON'],
    'data-dir': [DATA_DIR_FLAG, DATA_DIR_TEXT],
    help: ['-h, --help', 'this help'],
  },
  common: ['data-dir', 'help'],
  footer: "Scripts call the API with 'Authorization: Bearer <token>'; see <PUBLIC_BASE_URL>/api/v1/openapi.json.",
};

const OPTIONS = {
  'password-file': { type: 'string' },
  name: { type: 'string' },
  scope: { type: 'string' },
  portal: { type: 'string' },
  json: { type: 'boolean' },
  'data-dir': { type: 'string' },
} as const;

function readPassword(file: string | undefined): string {
  if (!file) throw invalid('--password-file F is required');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new AppError(ErrorCode.FILE_IO, `Cannot read the password file ${file}: ${errnoSentence(e)}`);
  }
  return text.split(/\r?\n/)[0] ?? '';
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  const helped = answerHelp(HELP, positionals, values.help === true);
  if (helped !== undefined) return helped;
  const [command, ...args] = positionals as [string, ...string[]];
  const config = cliConfig(values['data-dir']);
  const opened = await openCliStore(config);
  const { store } = opened;
  const out = (text: string) => process.stdout.write(`${text}\n`);
  try {
    const masterKey = () => opened.masterKey;
    const operators = () => createOperatorService({ store, masterKey: masterKey(), issuer: config.otp.issuer });
    const tokens = { ...createApiTokenService({ store }), store };
    const login = () =>
      args[0] ??
      (() => {
        throw invalid('LOGIN is required');
      })();
    if (command === 'add') {
      const operator = await operators().add({ login: login(), password: readPassword(values['password-file']) });
      out(
        `Created operator ${operator.login}. Sign in at ${config.publicBaseUrl}/admin (the first sign-in sets up the authenticator).`,
      );
    } else if (command === 'reset-otp') {
      await operators().resetTotp({ login: login() });
      out(`The next sign-in of ${args[0]} sets up the authenticator again.`);
    } else if (command === 'unlock') {
      await operators().unlock({ login: login() });
      out(`Unlocked ${args[0]}.`);
    } else if (command === 'token') {
      await tokenCommand(args, values, tokens, out);
    } else {
      throw invalid(`unknown admin command '${command}'`);
    }
    return 0;
  } finally {
    await store.close();
  }
}

async function tokenCommand(
  args: string[],
  values: {
    name?: string | undefined;
    scope?: string | undefined;
    portal?: string | undefined;
    json?: boolean | undefined;
  },
  tokens: ReturnType<typeof createApiTokenService> & { store: Store },
  out: (text: string) => void,
): Promise<void> {
  const log = (
    t: { store: Store },
    action: 'api_token_created' | 'api_token_revoked',
    details: Record<string, string>,
  ) => t.store.signLog.append({ time: new Date(), action, actor: { role: 'cli' }, outcome: 'ok', details });
  const [sub, ref] = args;
  if (sub === 'create') {
    if (!values.name) throw invalid('--name N is required');
    const scope = values.scope ?? 'read';
    if (scope !== 'read' && scope !== 'admin') throw invalid(`--scope must be read or admin, not '${scope}'`);
    const { token, record } = await tokens.create({
      name: values.name,
      scope,
      ...(values.portal ? { memberId: values.portal } : {}),
      createdBy: 'cli',
    });
    await log(tokens, 'api_token_created', { name: record.name, scope });
    if (values.json)
      out(JSON.stringify({ id: record.id, name: record.name, scope, portal: record.memberId ?? null, token }));
    else out(`Created ${scope} token '${record.name}' (${record.id}). It is shown only now:\n${token}`);
  } else if (sub === 'list') {
    const all = await tokens.list();
    if (values.json)
      out(
        JSON.stringify(
          all.map(({ hash: _h, ...t }) => t),
          null,
          2,
        ),
      );
    else
      for (const t of all)
        out(
          `${t.id}  ${t.name}  ${t.scope}${t.memberId ? ` portal ${t.memberId}` : ''}  ${t.revokedAt ? `revoked ${t.revokedAt.toISOString()}` : 'live'}`,
        );
  } else if (sub === 'revoke') {
    if (!ref) throw invalid('name the token: signservice admin token revoke ID|NAME');
    await tokens.revoke(ref);
    await log(tokens, 'api_token_revoked', { token: ref });
    out(`Revoked ${ref}.`);
  } else {
    throw invalid('token create | list | revoke');
  }
}
