/**
 * Text that goes into Bitrix24 BB-code (notifications `im.notify.*`, timeline comments, reference §6.3, §6.4)
 * from anybody else — deal titles, the workflow designer's message, names, file names, reasons quoting
 * input — must arrive as literal text: a deal titled `[URL=https://evil.example]Open[/URL]` must not become
 * a link in a notice the service signs with its name. Square brackets are written as the HTML character
 * references `&#91;` / `&#93;`, which is how Bitrix24's own text parser escapes them: `\Bitrix\Im\Text::parse`
 * runs the BB-code parser first and turns `&#91;` / `&#93;` back into `[` / `]` afterwards, so they show as
 * brackets and never open a tag. Our own markup (the `[URL={link}]` of a template) stays markup.
 */
import { fillPlaceholders } from '../i18n/messages.js';

/** `text` with every `[` and `]` escaped for BB-code. */
export function escapeBbcode(text: string): string {
  return text.replace(/\[/g, '&#91;').replace(/\]/g, '&#93;');
}

/** Fills a BB-code `template`'s `{name}` placeholders with `values`, each escaped. */
export function fillBbcode(template: string, values: Record<string, unknown>): string {
  const escaped: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) escaped[name] = escapeBbcode(String(value ?? ''));
  return fillPlaceholders(template, escaped);
}
