/**
 * The contract between the REST router and the method handlers: what a handler gets (portal, calling user,
 * token grant, decoded parameters) and returns (a result for the `{result, time, total?, next?}` envelope, or a
 * raw HTTP answer for file downloads), plus small parameter helpers.
 */
import type { EmulatorCore } from './emulator-core.js';
import type { AccessGrant } from './oauth-tokens.js';
import type { PortalState, PortalUser } from './portal-state.js';
import { RestError, restErrors } from './rest-errors.js';

/** Decoded request parameters (JSON body, or form/query with bracket keys), `auth` removed. */
export type Params = Record<string, unknown>;

/** Everything a method handler may use. */
export interface CallContext {
  core: EmulatorCore;
  portal: PortalState;
  user: PortalUser;
  grant: AccessGrant;
  params: Params;
  /** Set for the commands of a `batch`. */
  inBatch?: boolean;
}

/** A non-JSON answer (file download). */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

/** What a handler returns. */
export type MethodOutcome = { result: unknown; total?: number; next?: number } | { raw: RawAnswer };

/** One REST method. */
export interface MethodSpec {
  /** Scopes of which the app needs one; `basic` methods need none [bitrix24.md §5.3, profile/user.admin]. */
  scopes: readonly string[] | 'basic';
  /** Portal administrators only (ACCESS_DENIED "Access denied!" otherwise) [bitrix24.md §2, §5.1]. */
  adminOnly?: boolean;
  /** Not allowed inside `batch` (`batch` itself, downloads) [doc batch]. */
  notInBatch?: boolean;
  run(ctx: CallContext): MethodOutcome;
}

/** A method table: lower-case method name → spec. */
export type MethodTable = Record<string, MethodSpec>;

/**
 * A top-level parameter, looked up case-insensitively: the core upper-cases keys of `bizproc.*` calls and the
 * docs' own examples mix `EVENT_TOKEN` and `event_token` [bitrix24.md §2.1, §4.1].
 */
export function param(params: Params, name: string): unknown {
  if (name in params) return params[name];
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(params)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** A plain object, or undefined. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** A string form of a scalar; '' for anything else. */
export function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}

/** A positive integer from a number or numeric string, else undefined. */
export function asId(value: unknown): number | undefined {
  const text = asText(value).trim();
  if (!/^\d+$/.test(text)) return undefined;
  const id = Number(text);
  return id > 0 ? id : undefined;
}

/** Bitrix24 `Y`/`N` flags, also accepting JSON booleans and 1/0. */
export function isYes(value: unknown): boolean {
  return value === true || value === 1 || ['Y', 'y', '1', 'true'].includes(asText(value));
}

/** Upper-cases the keys of an object (the core does this for `bizproc.*` parameters and descriptors). */
export function upperKeys(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key.toUpperCase()] = item;
  return out;
}

/** Throws ACCESS_DENIED unless the calling user is a portal admin. */
export function requireAdmin(ctx: CallContext): void {
  if (!ctx.user.admin) throw restErrors.accessDenied('Access denied!');
}

/** A 400 error with a method-specific code. */
export function badRequest(code: string, description: string): RestError {
  return new RestError(400, code, description);
}
