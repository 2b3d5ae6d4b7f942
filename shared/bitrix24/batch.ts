/**
 * `batch` (reference §1.8): up to 50 commands in one request, each `"method?php-query"`; the answer is
 * HTTP 200 even when commands fail, so `result_error` must be read. Empty maps come back as `[]` and maps
 * keyed 0..n-1 as lists (PHP arrays in JSON), which `toMap` undoes.
 */
import { AppError, ErrorCode } from '../errors.js';
import { buildQuery } from './build-query.js';
import { isReadMethod } from './read-methods.js';
import { classifyAnswer, failureToError } from './rest-failure.js';

/** Bitrix24's limit on commands per batch. */
export const MAX_BATCH_COMMANDS = 50;

export interface BatchCommand {
  method: string;
  params?: Record<string, unknown>;
}

/** A batch's outcome, per command key (array input: '0', '1', …). */
export interface BatchResult {
  results: Record<string, unknown>;
  errors: Record<string, { error: string; description: string }>;
  totals: Record<string, number>;
}

export interface BatchOptions {
  /** Stop at the first failing command (`halt=1`). @default false */
  halt?: boolean;
  /** Return failed commands in `errors` instead of throwing for the first of them. @default false */
  allowErrors?: boolean;
}

/** Normalises the command list to keyed entries, checking the limits. @throws AppError INVALID_ARGUMENT */
export function batchEntries(commands: Record<string, BatchCommand> | BatchCommand[]): [string, BatchCommand][] {
  const entries = Array.isArray(commands)
    ? commands.map((c, i): [string, BatchCommand] => [String(i), c])
    : Object.entries(commands);
  if (entries.length === 0) throw new AppError(ErrorCode.INVALID_ARGUMENT, 'batch: no commands');
  if (entries.length > MAX_BATCH_COMMANDS) {
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      `batch: ${entries.length} commands, Bitrix24 takes at most ${MAX_BATCH_COMMANDS}; split them`,
    );
  }
  for (const [key, command] of entries) {
    if (command.method.toLowerCase() === 'batch')
      throw new AppError(ErrorCode.INVALID_ARGUMENT, `batch: command ${key} is a nested batch`);
  }
  return entries;
}

/** The `batch` method's parameters. */
export function batchParams(entries: [string, BatchCommand][], halt: boolean): Record<string, unknown> {
  const cmd: Record<string, string> = {};
  for (const [key, { method, params }] of entries) {
    const query = params ? buildQuery(params) : '';
    cmd[key] = query ? `${method}?${query}` : method;
  }
  return { halt: halt ? 1 : 0, cmd };
}

/** True when every command only reads, so the whole batch may be repeated after a lost answer. */
export function batchIsRead(entries: [string, BatchCommand][]): boolean {
  return entries.every(([, c]) => isReadMethod(c.method));
}

function toMap(value: unknown): Record<string, unknown> {
  if (Array.isArray(value)) return Object.fromEntries(value.map((v, i) => [String(i), v]));
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

/**
 * Reads the `result` of a batch answer. Unless `allowErrors`, the first failed command is thrown as the
 * AppError its error code calls for (e.g. ACCESS_DENIED → B24_ACCESS_DENIED).
 */
export function readBatchResult(
  result: unknown,
  entries: [string, BatchCommand][],
  site: { memberId: string; allowErrors: boolean },
): BatchResult {
  const maps = toMap(result);
  const errors: BatchResult['errors'] = {};
  for (const [key, raw] of Object.entries(toMap(maps.result_error))) {
    const e = toMap(raw);
    errors[key] = { error: String(e.error ?? 'UNKNOWN'), description: String(e.error_description ?? '').slice(0, 300) };
  }
  const totals: BatchResult['totals'] = {};
  for (const [key, total] of Object.entries(toMap(maps.result_total)))
    if (typeof total === 'number') totals[key] = total;
  const failed = Object.keys(errors)[0];
  if (failed !== undefined && !site.allowErrors) {
    const command = entries.find(([key]) => key === failed)?.[1];
    const error = errors[failed] as { error: string; description: string };
    const failure = classifyAnswer(400, { error: error.error, error_description: error.description });
    if (failure) {
      throw failureToError(failure, {
        memberId: site.memberId,
        method: `batch command ${failed} (${command?.method ?? '?'})`,
        idempotent: true,
      });
    }
  }
  return { results: toMap(maps.result), errors, totals };
}
