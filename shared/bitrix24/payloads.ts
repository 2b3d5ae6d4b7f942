/**
 * zod schemas for what Bitrix24 posts to the app, after form-body.ts has decoded the bracket keys: the
 * install callback and app events (reference §1.2), the app/placement page POST (§1.3, §5.3) and the robot
 * handler call (§3). Form values are strings, so numbers are parsed from digits and Y/N stays text. Only
 * syntax is checked here; endpoints go through endpoint-policy.ts and the application_token through
 * verify-application-token.ts before anything is trusted. Unknown fields are dropped.
 */
import { z } from 'zod';
import { AppError, ErrorCode } from '../errors.js';

/** An empty form value counts as absent (Bitrix24 sends `x=` for unset values, reference §3). */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const digits = z
  .string()
  .regex(/^\d{1,15}$/, 'expected digits')
  .transform(Number);
/** Tokens are opaque printable ASCII (32-64 hex characters in practice). */
const token = z.string().regex(/^[\x21-\x7e]{1,512}$/, 'expected a token');
const memberId = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected a member id');
/** A host name, optionally with a port (portal domains, the DOMAIN query parameter). */
const domain = z.string().regex(/^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$/, 'expected a host name');
const endpoint = z.string().min(1).max(2048);
const text = (max: number) => z.string().max(max);
const yesNo = z.enum(['Y', 'N']);
/** A three-part bizproc document id or type: ['crm', 'CCrmDocumentDeal', 'DEAL_1234']. */
const documentTriple = z.tuple([text(100), text(100), text(100)]);
/** Event names are upper case on the wire; accept any case. */
const eventName = <N extends string>(name: N) =>
  z
    .string()
    .transform((s) => s.toUpperCase())
    .pipe(z.literal(name));

/** `auth[…]` of every app event: identifies the portal, carries the application_token (reference §7). */
export const ZEventAuth = z.object({
  domain,
  member_id: memberId,
  client_endpoint: endpoint,
  server_endpoint: endpoint,
  application_token: token,
  status: optional(text(4)),
});

/** `auth[…]` with OAuth tokens (install, update, robot calls). `refresh_token` is not always sent. */
export const ZTokenAuth = ZEventAuth.extend({
  access_token: token,
  refresh_token: optional(token),
  expires_in: digits,
  expires: optional(digits),
  scope: text(2000),
  user_id: optional(digits),
});
export type TTokenAuth = z.infer<typeof ZTokenAuth>;

/** The install callback / `ONAPPINSTALL` event: the only event with a refresh token (reference §1.2). */
export const ZInstallEvent = z.object({
  event: eventName('ONAPPINSTALL'),
  data: z.object({
    VERSION: text(32),
    ACTIVE: optional(yesNo),
    INSTALLED: optional(yesNo),
    LANGUAGE_ID: optional(text(8)),
  }),
  ts: digits,
  auth: ZTokenAuth.extend({ refresh_token: token }),
});
export type TInstallEvent = z.infer<typeof ZInstallEvent>;

/** `ONAPPUPDATE`: the same auth block, with the updated application_token to store. */
export const ZAppUpdateEvent = z.object({
  event: eventName('ONAPPUPDATE'),
  data: z.object({
    VERSION: text(32),
    PREVIOUS_VERSION: optional(text(32)),
    LANGUAGE_ID: optional(text(8)),
  }),
  ts: digits,
  auth: ZTokenAuth,
});
export type TAppUpdateEvent = z.infer<typeof ZAppUpdateEvent>;

/** `ONAPPUNINSTALL`: no tokens; `data[CLEAN]=1` asks to delete the app's data. */
export const ZAppUninstallEvent = z.object({
  event: eventName('ONAPPUNINSTALL'),
  data: z
    .object({
      LANGUAGE_ID: optional(text(8)),
      CLEAN: optional(z.enum(['0', '1'])).transform((v) => v === '1'),
    })
    .default({ CLEAN: false }),
  ts: optional(digits),
  auth: ZEventAuth,
});
export type TAppUninstallEvent = z.infer<typeof ZAppUninstallEvent>;

/** `PLACEMENT_OPTIONS`: a JSON object in a string (not nested form fields, reference §1.3). */
const placementOptions = z
  .string()
  .max(16_384)
  .transform((raw, ctx) => {
    try {
      const parsed: unknown = JSON.parse(raw);
      // PHP's json_encode writes an empty array as [] (the main page has no options).
      if (Array.isArray(parsed) && parsed.length === 0) return {} as Record<string, unknown>;
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
        return parsed as Record<string, unknown>;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: 'expected a JSON object' });
    return z.NEVER;
  });

/** The body of an app page, install page or placement POST (the tokens are those of the user who opened it). */
export const ZPlacementBody = z.object({
  AUTH_ID: token,
  AUTH_EXPIRES: digits,
  REFRESH_ID: optional(token),
  SERVER_ENDPOINT: optional(endpoint),
  APPLICATION_TOKEN: token,
  APPLICATION_SCOPE: optional(text(2000)),
  member_id: memberId,
  status: optional(text(4)),
  PLACEMENT: z.string().regex(/^[A-Z0-9_]{1,100}$/, 'expected a placement code'),
  PLACEMENT_OPTIONS: optional(placementOptions).transform((v) => v ?? {}),
});
export type TPlacementBody = z.infer<typeof ZPlacementBody>;

/** The query string of the same POST. */
export const ZPlacementQuery = z.object({
  DOMAIN: domain,
  PROTOCOL: optional(z.enum(['0', '1'])),
  LANG: optional(text(8)),
  APP_SID: optional(text(128)),
});
export type TPlacementQuery = z.infer<typeof ZPlacementQuery>;

/** The robot handler call (reference §3). */
export const ZRobotCall = z.object({
  workflow_id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected a workflow id'),
  code: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'expected a robot code'),
  document_id: documentTriple,
  document_type: documentTriple,
  event_token: z.string().min(1).max(2048),
  /** Multiple-value properties arrive as arrays; unset ones as ''. */
  properties: z
    .record(z.string().max(128), z.union([text(65_536), z.array(text(65_536))]))
    .optional()
    .transform((v) => v ?? {}),
  use_subscription: yesNo,
  timeout_duration: optional(digits).transform((v) => v ?? 0),
  ts: digits,
  auth: ZTokenAuth,
});
export type TRobotCall = z.infer<typeof ZRobotCall>;

/** The deal id of a CRM deal document id (`DEAL_1234` → 1234), or undefined for other documents. */
export function dealIdOf(documentId: readonly [string, string, string]): number | undefined {
  const match = /^DEAL_(\d{1,15})$/.exec(documentId[2]);
  return documentId[1] === 'CCrmDocumentDeal' && match ? Number(match[1]) : undefined;
}

/**
 * Validates `input` against `schema`. The message lists the offending field paths, never their values
 * (which may be tokens).
 * @throws AppError B24_INVALID_PAYLOAD
 */
export function parseB24Payload<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`);
  throw new AppError(ErrorCode.B24_INVALID_PAYLOAD, `Invalid ${what}: ${problems.slice(0, 10).join('; ')}`, {
    details: { fields: result.error.issues.map((i) => i.path.map(String).join('.')) },
  });
}
