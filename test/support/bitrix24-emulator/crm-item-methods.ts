/**
 * Deals through the universal CRM API: `crm.item.get`, `crm.item.update`, `crm.item.fields`, and the file
 * field discovery call `crm.deal.userfield.list` [bitrix24.md §6.1, §6.2; doc crm-item-get/-update/-fields,
 * crm-deal-userfield-list]. Only deals (entityTypeId 2) exist on an emulated portal.
 */

import { renderFileField, updateFileField } from './deal-files.js';
import { isoDate } from './emulator-core.js';
import { matchFieldName, toCamelFieldName, toUpperFieldName } from './field-names.js';
import type { Deal, UserField } from './portal-state.js';
import {
  asId,
  asRecord,
  asText,
  badRequest,
  type CallContext,
  isYes,
  type MethodTable,
  param,
} from './rest-context.js';
import { restErrors } from './rest-errors.js';

/** Standard deal fields the emulator keeps, by UPPER name, with their `crm.item.fields` type. */
const STANDARD_FIELDS: Record<string, { type: string; readOnly: boolean }> = {
  ID: { type: 'integer', readOnly: true },
  TITLE: { type: 'string', readOnly: false },
  STAGE_ID: { type: 'crm_status', readOnly: false },
  CATEGORY_ID: { type: 'crm_category', readOnly: false },
  ASSIGNED_BY_ID: { type: 'user', readOnly: false },
  OPPORTUNITY: { type: 'double', readOnly: false },
  CURRENCY_ID: { type: 'crm_currency', readOnly: false },
  CREATED_BY: { type: 'user', readOnly: true },
  UPDATED_BY: { type: 'user', readOnly: true },
  CREATED_TIME: { type: 'datetime', readOnly: true },
  UPDATED_TIME: { type: 'datetime', readOnly: true },
};

function requireDeal(ctx: CallContext): Deal {
  const entityTypeId = asId(param(ctx.params, 'entityTypeId'));
  if (entityTypeId === undefined) throw restErrors.argument('entityTypeId');
  if (entityTypeId !== 2) throw restErrors.notFound('SPA not found');
  const id = asId(param(ctx.params, 'id'));
  if (id === undefined) throw restErrors.argument('id');
  const deal = ctx.portal.deals.get(id);
  if (deal === undefined) throw restErrors.notFound('Element not found');
  return deal;
}

function ufName(field: UserField, original: boolean): string {
  return original ? field.fieldName : toCamelFieldName(field.fieldName);
}

/** The `item` object of `crm.item.get` / `crm.item.update`. */
function renderDeal(ctx: CallContext, deal: Deal): Record<string, unknown> {
  const original = isYes(param(ctx.params, 'useOriginalUfNames'));
  const item: Record<string, unknown> = {
    id: deal.id,
    xmlId: null,
    title: deal.title,
    typeId: 'SALE',
    categoryId: deal.categoryId,
    stageId: deal.stageId,
    stageSemanticId: 'P',
    isNew: 'N',
    closed: 'N',
    opportunity: deal.opportunity,
    isManualOpportunity: 'N',
    currencyId: deal.currencyId,
    createdTime: isoDate(deal.createdAtMs),
    updatedTime: isoDate(deal.updatedAtMs),
    createdBy: deal.createdBy,
    updatedBy: deal.updatedBy,
    assignedById: deal.assignedById,
    opened: 'Y',
    companyId: 0,
    contactId: 0,
    observers: [],
    contactIds: [],
    entityTypeId: 2,
  };
  for (const field of ctx.portal.userFields.values()) {
    item[ufName(field, original)] =
      field.userTypeId === 'file' ? renderFileField(ctx, deal, field) : (deal.values.get(field.fieldName) ?? null);
  }
  return item;
}

function applyUpdate(ctx: CallContext, deal: Deal, fields: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(fields)) {
    const ufKey = matchFieldName(key, ctx.portal.userFields.keys());
    if (ufKey !== undefined) {
      const field = ctx.portal.userFields.get(ufKey) as UserField;
      if (field.userTypeId === 'file') updateFileField(ctx.portal, deal, field, value, key);
      else deal.values.set(ufKey, value);
      continue;
    }
    // "An incorrect field in `fields` will be ignored" [doc crm.item.update].
    const upper = key.startsWith('UF_') || key === key.toUpperCase() ? key : toUpperFieldName(key);
    if (upper === 'TITLE') deal.title = asText(value);
    else if (upper === 'STAGE_ID') deal.stageId = asText(value);
    else if (upper === 'ASSIGNED_BY_ID') deal.assignedById = asId(value) ?? deal.assignedById;
    else if (upper === 'CATEGORY_ID') deal.categoryId = Number(asText(value)) || 0;
    else if (upper === 'OPPORTUNITY') deal.opportunity = Number(asText(value)) || 0;
    else if (upper === 'CURRENCY_ID') deal.currencyId = asText(value);
  }
}

function fieldDescriptor(type: string, multiple: boolean, readOnly: boolean, title: string, upperName: string) {
  return {
    type,
    isRequired: false,
    isReadOnly: readOnly,
    isImmutable: false,
    isMultiple: multiple,
    isDynamic: upperName.startsWith('UF_'),
    title,
    upperName,
  };
}

function userFieldRow(field: UserField, lang: string | undefined): Record<string, unknown> {
  const row: Record<string, unknown> = {
    ID: String(field.id),
    ENTITY_ID: 'CRM_DEAL',
    FIELD_NAME: field.fieldName,
    USER_TYPE_ID: field.userTypeId,
    XML_ID: null,
    SORT: '100',
    MULTIPLE: field.multiple ? 'Y' : 'N',
    MANDATORY: 'N',
    SHOW_FILTER: 'E',
    SHOW_IN_LIST: 'Y',
    EDIT_IN_LIST: 'Y',
    IS_SEARCHABLE: 'N',
    SETTINGS: field.userTypeId === 'file' ? { SIZE: 20, MAX_ALLOWED_SIZE: 0, EXTENSIONS: [] } : { SIZE: 20 },
  };
  // Labels come back only when `filter.LANG` is given [doc crm.deal.userfield.list].
  if (lang !== undefined) {
    for (const key of ['EDIT_FORM_LABEL', 'LIST_COLUMN_LABEL', 'LIST_FILTER_LABEL']) row[key] = field.label;
    row.ERROR_MESSAGE = null;
    row.HELP_MESSAGE = null;
  }
  return row;
}

function matchesFilter(row: Record<string, unknown>, filter: Record<string, unknown>): boolean {
  return Object.entries(filter).every(
    ([key, wanted]) => key.toUpperCase() === 'LANG' || row[key.toUpperCase()] === asText(wanted),
  );
}

/** The deal/item methods. */
export const crmItemMethods: MethodTable = {
  'crm.item.get': {
    scopes: ['crm'],
    run: (ctx) => ({ result: { item: renderDeal(ctx, requireDeal(ctx)) } }),
  },
  'crm.item.update': {
    scopes: ['crm'],
    run(ctx) {
      const deal = requireDeal(ctx);
      const fields = asRecord(param(ctx.params, 'fields'));
      if (fields === undefined) throw restErrors.argument('fields');
      applyUpdate(ctx, deal, fields);
      deal.updatedBy = ctx.user.id;
      deal.updatedAtMs = ctx.core.now();
      return { result: { item: renderDeal(ctx, deal) } };
    },
  },
  'crm.item.fields': {
    scopes: ['crm'],
    run(ctx) {
      const entityTypeId = asId(param(ctx.params, 'entityTypeId'));
      if (entityTypeId !== 2) throw restErrors.notFound('SPA not found');
      const original = isYes(param(ctx.params, 'useOriginalUfNames'));
      const fields: Record<string, unknown> = {};
      for (const [upper, spec] of Object.entries(STANDARD_FIELDS)) {
        fields[toCamelFieldName(upper)] = fieldDescriptor(spec.type, false, spec.readOnly, upper, upper);
      }
      for (const field of ctx.portal.userFields.values()) {
        fields[ufName(field, original)] = fieldDescriptor(
          field.userTypeId,
          field.multiple,
          false,
          field.label,
          field.fieldName,
        );
      }
      return { result: { fields } };
    },
  },
  'crm.deal.userfield.list': {
    scopes: ['crm'],
    // "Who can execute the method: CRM administrator" [doc].
    adminOnly: true,
    run(ctx) {
      const rawFilter = param(ctx.params, 'filter');
      if (rawFilter !== undefined && rawFilter !== '' && asRecord(rawFilter) === undefined) {
        throw badRequest('', "Parameter 'filter' must be array.");
      }
      const filter = asRecord(rawFilter) ?? {};
      const langKey = Object.keys(filter).find((key) => key.toUpperCase() === 'LANG');
      const lang = langKey === undefined ? undefined : asText(filter[langKey]);
      const rows = [...ctx.portal.userFields.values()]
        .map((field) => userFieldRow(field, lang))
        .filter((row) => matchesFilter(row, filter));
      return { result: rows, total: rows.length };
    },
  },
};
