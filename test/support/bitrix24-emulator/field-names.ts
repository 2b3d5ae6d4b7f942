/**
 * `crm.item.*` field names. Fields are stored UPPER_CASE and travel as camelCase; custom fields keep their
 * original `UF_CRM_…` names when `useOriginalUfNames=Y` [doc crm.item.get]. Input accepts either spelling
 * ("any field names in all methods can be passed in either UPPER_CASE or camelCase", doc
 * `api-reference/crm/universal/index.md`).
 *
 * Custom-field camelCase: "underscores between numbers are retained, while others are removed"; the docs'
 * examples give `UF_CRM_10_5186744711` → `ufCrm10_5186744711` and `UF_CRM_1721244707107` →
 * `ufCrm_1721244707107`. The rule here keeps the underscore before a final all-digit segment, which matches
 * every documented example [UNCONFIRMED for names with letters after digits].
 */

/** `ASSIGNED_BY_ID` → `assignedById`; custom fields per the rule above. */
export function toCamelFieldName(upper: string): string {
  const parts = upper
    .toLowerCase()
    .split('_')
    .filter((part) => part !== '');
  let out = parts[0] ?? '';
  for (let index = 1; index < parts.length; index++) {
    const part = parts[index] as string;
    const isLastNumber = index === parts.length - 1 && /^\d+$/.test(part) && upper.startsWith('UF_');
    out += isLastNumber ? `_${part}` : part.charAt(0).toUpperCase() + part.slice(1);
  }
  return out;
}

/** `assignedById` → `ASSIGNED_BY_ID` (only for standard fields; custom fields are matched, not converted). */
export function toUpperFieldName(camel: string): string {
  return camel.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** Finds which of `known` UPPER_CASE names a request key means, in either spelling. */
export function matchFieldName(key: string, known: Iterable<string>): string | undefined {
  for (const name of known) if (key === name || key === toCamelFieldName(name)) return name;
  return undefined;
}
