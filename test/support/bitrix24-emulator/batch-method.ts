/**
 * `batch`: up to 50 `"method?urlencoded-params"` commands, keyed by an array index or a name, run in order;
 * later commands may use `$result[key][field]…` of earlier ones [bitrix24.md §1.8, doc
 * `settings/how-to-call-rest-api/batch.md`].
 *
 * - Answer: `result.{result, result_error, result_total, result_next, result_time}`, HTTP 200 even when
 *   commands fail; empty maps are `[]` (PHP's empty array).
 * - `halt=1` stops at the first failing command.
 * - More than 50 commands: `400 ERROR_BATCH_LENGTH_EXCEEDED`; `batch` inside `batch` and file downloads:
 *   `ERROR_BATCH_METHOD_NOT_ALLOWED` for that command.
 * - The outer request is one request for the leaky bucket.
 */
import { restTime } from './emulator-core.js';
import { parsePhpForm } from './php-form.js';
import { asRecord, type CallContext, isYes, type MethodOutcome, type Params, param } from './rest-context.js';
import { RestError, restErrors } from './rest-errors.js';

/** Calls one method with its checks, as the router would (supplied by the method table). */
export type CallMethod = (method: string, ctx: CallContext) => MethodOutcome;

const MAX_COMMANDS = 50;

type ResultMaps = Record<
  'result' | 'result_error' | 'result_total' | 'result_next' | 'result_time',
  Record<string, unknown>
>;

/** Runs a `batch` call. */
export function runBatch(ctx: CallContext, callMethod: CallMethod): { result: unknown } {
  const cmd = param(ctx.params, 'cmd');
  const commands: [string, unknown][] = Array.isArray(cmd)
    ? cmd.map((command, index) => [String(index), command])
    : Object.entries(asRecord(cmd) ?? {});
  if (commands.length > MAX_COMMANDS) throw restErrors.batchTooLong();
  const halt = isYes(param(ctx.params, 'halt'));
  const maps: ResultMaps = { result: {}, result_error: {}, result_total: {}, result_next: {}, result_time: {} };
  for (const [key, command] of commands) {
    const startMs = ctx.core.now();
    try {
      const outcome = runCommand(ctx, callMethod, command, maps.result);
      maps.result[key] = outcome.result;
      if (outcome.total !== undefined) maps.result_total[key] = outcome.total;
      if (outcome.next !== undefined) maps.result_next[key] = outcome.next;
      maps.result_time[key] = restTime(startMs, ctx.core.now());
    } catch (error) {
      if (!(error instanceof RestError)) throw error;
      maps.result_error[key] = error.body();
      if (halt) break;
    }
  }
  const result: Record<string, unknown> = {};
  for (const [name, map] of Object.entries(maps)) result[name] = phpArray(map);
  return { result };
}

function runCommand(
  ctx: CallContext,
  callMethod: CallMethod,
  command: unknown,
  earlier: Record<string, unknown>,
): { result: unknown; total?: number; next?: number } {
  if (typeof command !== 'string' || command.trim() === '') throw restErrors.methodNotFound();
  const question = command.indexOf('?');
  const method = (question < 0 ? command : command.slice(0, question))
    .trim()
    .toLowerCase()
    .replace(/\.json$/, '');
  const params = substituteResults(parsePhpForm(question < 0 ? '' : command.slice(question + 1)), earlier) as Params;
  const outcome = callMethod(method, { ...ctx, params, inBatch: true });
  if ('raw' in outcome) throw restErrors.batchMethodNotAllowed();
  return outcome;
}

/** Replaces `$result[key][field]…` in string values by earlier results. */
function substituteResults(value: unknown, earlier: Record<string, unknown>): unknown {
  if (typeof value === 'string') {
    const whole = /^\$result((?:\[[^\]]*\])+)$/.exec(value);
    if (whole !== null) return lookup(earlier, whole[1] as string) ?? value;
    return value.replace(/\$result((?:\[[^\]]*\])+)/g, (match, path: string) => {
      const found = lookup(earlier, path);
      return found === undefined || typeof found === 'object' ? match : String(found);
    });
  }
  if (Array.isArray(value)) return value.map((item) => substituteResults(item, earlier));
  const record = asRecord(value);
  if (record === undefined) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(record)) out[key] = substituteResults(item, earlier);
  return out;
}

function lookup(root: unknown, path: string): unknown {
  let node = root;
  for (const match of path.matchAll(/\[([^\]]*)\]/g)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[match[1] as string];
  }
  return node;
}

/** PHP `json_encode` of an array: `[]` when empty, a list when keys are 0..n-1, else an object. */
function phpArray(map: Record<string, unknown>): unknown {
  const keys = Object.keys(map);
  if (keys.length === 0) return [];
  return keys.every((key, index) => key === String(index)) ? keys.map((key) => map[key]) : map;
}
