/**
 * Handlebars rendering of pages and e-mails from templates/. Pages are wrapped in layouts/page.hbs; each
 * e-mail has an HTML and a text twin (emails/NAME.html.hbs, emails/NAME.txt.hbs). Texts come from the
 * shared/i18n catalogues, passed to templates as `t`; `{{fmt t.some.text name=value}}` fills `{name}`
 * placeholders (escaped in HTML, verbatim in text). Templates are read and compiled once, at load.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { AppError, ErrorCode } from '../errors.js';
import { errnoSentence } from '../fs/file-error.js';
import { fillPlaceholders, type Language, messagesFor } from '../i18n/messages.js';

export type PageName =
  | 'enroll'
  | 'enroll-key'
  | 'enroll-done'
  | 'message'
  | 'sign-dialog'
  | 'approval'
  | 'approval-waiting'
  | 'approval-batch-confirm'
  | 'approval-batch-progress'
  | 'b24-message'
  | 'admin'
  | 'verify';
export type EmailName =
  | 'enrollment'
  | 'lockout'
  | 'lockout-admin'
  | 'signature-requested'
  | 'signature-reminder'
  | 'signature-outcome'
  | 'admin-alert';

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

export interface TemplateRenderer {
  /** A whole HTML page: `data.title` names it; `data.cspNonce` goes on the inline style. */
  page(name: PageName, language: Language, data: Record<string, unknown> & { title: string }): string;
  /** The subject (from the catalogue, `{name}` filled from `data`) and both bodies of an e-mail. */
  email(name: EmailName, language: Language, data: Record<string, unknown>): RenderedEmail;
}

const PAGES: readonly PageName[] = [
  'enroll',
  'enroll-key',
  'enroll-done',
  'message',
  'sign-dialog',
  'approval',
  'approval-waiting',
  'approval-batch-confirm',
  'approval-batch-progress',
  'b24-message',
  'admin',
  'verify',
];
const EMAILS: readonly EmailName[] = [
  'enrollment',
  'lockout',
  'lockout-admin',
  'signature-requested',
  'signature-reminder',
  'signature-outcome',
  'admin-alert',
];
/**
 * Pages shown inside Bitrix24 (its slider iframe, or opened from its notices) use layouts/b24.hbs: the
 * portal's look, the app's stylesheet and script files (`data.assetBase`), no language switch link.
 */
const B24_PAGES: ReadonlySet<PageName> = new Set([
  'sign-dialog',
  'approval',
  'approval-waiting',
  'approval-batch-confirm',
  'approval-batch-progress',
  'b24-message',
]);

/** The repository's templates/ folder, found upwards from this module (works from source and from dist/). */
export function defaultTemplatesDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'templates');
    if (fs.existsSync(path.join(candidate, 'layouts', 'page.hbs'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new AppError(ErrorCode.CONFIG_INVALID, 'the templates/ folder was not found');
    dir = parent;
  }
}

function readTemplate(dir: string, relative: string): string {
  try {
    return fs.readFileSync(path.join(dir, relative), 'utf8');
  } catch (e) {
    throw new AppError(
      ErrorCode.CONFIG_INVALID,
      `template ${relative} cannot be read from ${dir}: ${errnoSentence(e)}`,
    );
  }
}

/** One Handlebars environment per output kind, so `fmt` escapes for HTML and not for plain text. */
function environment(kind: 'html' | 'text'): typeof Handlebars {
  const hb = Handlebars.create();
  hb.registerHelper('fmt', (text: unknown, options: Handlebars.HelperOptions) => {
    const template = String(text ?? '');
    if (kind === 'text') return fillPlaceholders(template, options.hash);
    const escaped = Object.fromEntries(
      Object.entries(options.hash as Record<string, unknown>).map(([k, v]) => [k, hb.escapeExpression(String(v))]),
    );
    return new hb.SafeString(fillPlaceholders(hb.escapeExpression(template), escaped));
  });
  return hb;
}

/** Loads and compiles every page and e-mail template from `dir` (default: the repository's templates/). */
export function loadTemplates(options: { dir?: string } = {}): TemplateRenderer {
  const dir = options.dir ?? defaultTemplatesDir();
  const html = environment('html');
  const text = environment('text');
  const compileOptions = { strict: true } as const;
  const layout = html.compile(readTemplate(dir, 'layouts/page.hbs'), compileOptions);
  const b24Layout = html.compile(readTemplate(dir, 'layouts/b24.hbs'), compileOptions);
  const adminLayout = html.compile(readTemplate(dir, 'layouts/admin.hbs'), compileOptions);
  const pages = new Map(PAGES.map((n) => [n, html.compile(readTemplate(dir, `pages/${n}.hbs`), compileOptions)]));
  const mails = new Map(
    EMAILS.map((n) => [
      n,
      {
        html: html.compile(readTemplate(dir, `emails/${n}.html.hbs`), compileOptions),
        text: text.compile(readTemplate(dir, `emails/${n}.txt.hbs`), { ...compileOptions, noEscape: true }),
      },
    ]),
  );

  return {
    page(name, language, data) {
      const context = {
        cspNonce: '',
        ...data,
        lang: language,
        otherLang: language === 'ru' ? 'en' : 'ru',
        t: messagesFor(language),
      };
      const body = (pages.get(name) as HandlebarsTemplateDelegate)(context);
      // The control panel's shell: its own stylesheet and script (activity/public/admin.*).
      if (name === 'admin') return adminLayout({ assetBase: 'static', ...context, body });
      if (B24_PAGES.has(name)) return b24Layout({ assetBase: '../../static', script: '', ...context, body });
      return layout({ ...context, body });
    },
    email(name, language, data) {
      const t = messagesFor(language);
      const context = { ...data, lang: language, t };
      const mail = mails.get(name) as { html: HandlebarsTemplateDelegate; text: HandlebarsTemplateDelegate };
      return {
        subject: fillPlaceholders(t.mail[name].subject, data),
        html: mail.html(context),
        text: mail.text(context),
      };
    },
  };
}
