/**
 * Texts that depend on a number: "1 document", "2 documents"; in Russian "1 документ", "2 документа",
 * "5 документов", "21 документ". The form is chosen by the language's CLDR plural rules (Intl.PluralRules:
 * English one/other, Russian one/few/many), never by hand-written number tests; the page scripts choose
 * the same way from the same forms.
 */
import { fillPlaceholders, type Language } from './messages.js';

/** A text's plural forms; `other` is always there, languages use the categories their rules name. */
export type PluralForms = { other: string } & Partial<Record<'one' | 'few' | 'many', string>>;

const rules = new Map<Language, Intl.PluralRules>();

/** The BCP 47 locale of a page language (dates and plural rules). */
export function localeOf(language: Language): string {
  return language === 'ru' ? 'ru-RU' : 'en-GB';
}

/** The form of `forms` for `count` in `language`, with `{count}` and `values` filled in. */
export function plural(
  language: Language,
  forms: PluralForms,
  count: number,
  values: Record<string, unknown> = {},
): string {
  let rule = rules.get(language);
  if (!rule) {
    rule = new Intl.PluralRules(localeOf(language));
    rules.set(language, rule);
  }
  const category = rule.select(count) as keyof PluralForms;
  return fillPlaceholders(forms[category] ?? forms.other, { ...values, count });
}
