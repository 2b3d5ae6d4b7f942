/**
 * Running workflows: `bizproc.workflow.instances` (and its old alias `bizproc.workflow.instance.list`) [doc
 * `api-reference/bizproc/bizproc-workflow-instances.md`; not in the reference]:
 *
 * - administrators only (`403 ACCESS_DENIED "Access denied!"` otherwise), scope `bizproc`;
 * - `SELECT` from ID, MODIFIED, OWNED_UNTIL, MODULE_ID, ENTITY, DOCUMENT_ID, STARTED, STARTED_BY, TEMPLATE_ID,
 *   default `['ID', 'MODIFIED', 'OWNED_UNTIL']`;
 * - `FILTER` on the same fields, a key optionally prefixed by `!`, `<`, `<=`, `>`, `>=` (documented) or `=`;
 * - `ORDER` `{field: 'asc'|'desc'}`, default `{MODIFIED: 'desc'}`; pages of 50 with `start`, `total`, `next`;
 * - rows as in the docs' example: strings (`"STARTED_BY": "57"`, `"TEMPLATE_ID": "212"`), dates ISO 8601 with
 *   an offset, `OWNED_UNTIL` null, `DOCUMENT_ID` `DEAL_<id>` with `MODULE_ID` `crm`, `ENTITY` `CCrmDocumentDeal`.
 *
 * An instance exists while its robot step waits (portal-state.ts `WorkflowStep`): one per robot run, gone once
 * the step closed or the workflow was terminated. Field names outside the documented list are refused with
 * `400 ERROR_ARGUMENT` [emulator's choice: the docs name no error; a strict answer shows a client's typo].
 */
import { isoDate } from './emulator-core.js';
import type { WorkflowStep } from './portal-state.js';
import {
  asRecord,
  asText,
  badRequest,
  type CallContext,
  type MethodSpec,
  type MethodTable,
  param,
} from './rest-context.js';

const PAGE_SIZE = 50;
const FIELDS = [
  'ID',
  'MODIFIED',
  'OWNED_UNTIL',
  'MODULE_ID',
  'ENTITY',
  'DOCUMENT_ID',
  'STARTED',
  'STARTED_BY',
  'TEMPLATE_ID',
] as const;
type Field = (typeof FIELDS)[number];
const DEFAULT_SELECT: readonly Field[] = ['ID', 'MODIFIED', 'OWNED_UNTIL'];
const DATE_FIELDS = new Set<Field>(['MODIFIED', 'STARTED', 'OWNED_UNTIL']);
const NUMBER_FIELDS = new Set<Field>(['STARTED_BY', 'TEMPLATE_ID']);

function field(name: string, where: string): Field {
  const upper = name.trim().toUpperCase();
  if (!(FIELDS as readonly string[]).includes(upper)) {
    throw badRequest('ERROR_ARGUMENT', `Unknown field '${name}' in ${where}`);
  }
  return upper as Field;
}

/** The instance row of a waiting step, every field. */
function row(step: WorkflowStep): Record<Field, string | null> {
  return {
    ID: step.workflowId,
    MODIFIED: isoDate(step.modifiedAtMs),
    OWNED_UNTIL: null,
    MODULE_ID: 'crm',
    ENTITY: 'CCrmDocumentDeal',
    DOCUMENT_ID: `DEAL_${step.dealId}`,
    STARTED: isoDate(step.startedAtMs),
    STARTED_BY: String(step.startedBy),
    TEMPLATE_ID: String(step.templateId),
  };
}

/** A value as the filter and order compare it: dates and numbers as numbers, the rest as text. */
function comparable(name: Field, value: unknown): number | string {
  if (DATE_FIELDS.has(name)) return value === null || value === '' ? Number.NaN : Date.parse(asText(value));
  if (NUMBER_FIELDS.has(name)) return Number(asText(value));
  return asText(value);
}

function matches(r: Record<Field, string | null>, rawKey: string, wanted: unknown): boolean {
  const prefix = /^(<=|>=|<|>|!|=)/.exec(rawKey)?.[1] ?? '';
  const operator = prefix || '=';
  const name = field(rawKey.slice(prefix.length), 'FILTER');
  const wantedList = Array.isArray(wanted) ? wanted : [wanted];
  const actual = comparable(name, r[name]);
  const test = (w: unknown): boolean => {
    const value = comparable(name, w);
    switch (operator) {
      case '<':
        return actual < value;
      case '<=':
        return actual <= value;
      case '>':
        return actual > value;
      case '>=':
        return actual >= value;
      default:
        return String(actual) === String(value);
    }
  };
  return operator === '!' ? !wantedList.some(test) : wantedList.some(test);
}

function orderOf(ctx: CallContext): [Field, 1 | -1][] {
  const raw = asRecord(param(ctx.params, 'ORDER')) ?? { MODIFIED: 'desc' };
  return Object.entries(raw).map(([key, direction]) => [
    field(key, 'ORDER'),
    asText(direction).toLowerCase() === 'desc' ? -1 : 1,
  ]);
}

function selectOf(ctx: CallContext): Field[] {
  const raw = param(ctx.params, 'SELECT');
  const list = Array.isArray(raw) ? raw.map(asText) : raw === undefined || raw === '' ? [] : [asText(raw)];
  return list.length === 0 ? [...DEFAULT_SELECT] : list.map((name) => field(name, 'SELECT'));
}

function instances(ctx: CallContext) {
  const select = selectOf(ctx);
  const filter = asRecord(param(ctx.params, 'FILTER')) ?? {};
  const order = orderOf(ctx);
  const rows = [...ctx.portal.steps.values()]
    .filter((step) => step.state === 'waiting')
    .map(row)
    .filter((r) => Object.entries(filter).every(([key, wanted]) => matches(r, key, wanted)))
    .sort((x, y) => {
      for (const [name, direction] of order) {
        const a = comparable(name, x[name]);
        const b = comparable(name, y[name]);
        if (a < b) return -direction;
        if (a > b) return direction;
      }
      return 0;
    });
  const start = Math.max(0, Number(asText(param(ctx.params, 'start'))) || 0);
  const page = rows
    .slice(start, start + PAGE_SIZE)
    .map((r) => Object.fromEntries(select.map((name) => [name, r[name]])));
  const next = start + PAGE_SIZE < rows.length ? start + PAGE_SIZE : undefined;
  return next === undefined ? { result: page, total: rows.length } : { result: page, total: rows.length, next };
}

const spec: MethodSpec = { scopes: ['bizproc'], adminOnly: true, run: instances };

/** The workflow-instance methods. */
export const bizprocWorkflowMethods: MethodTable = {
  'bizproc.workflow.instances': spec,
  'bizproc.workflow.instance.list': spec,
};
