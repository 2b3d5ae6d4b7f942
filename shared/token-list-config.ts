/**
 * SIGNSERVICE_TOKENS: the PKCS#11 tokens a worker serves, as a JSON array of
 * `{"label": "...", "serial": "...", "module": "/path/lib.so", "pinFile": "/run/secrets/pin", "level": "B-LT"}`
 * (label or serial or both; `level`, the PAdES level its certificates sign at, is optional). Only the PIN file's path is configuration: the worker reads the PIN at start, so the
 * PIN never sits in the environment, the parsed config or a log line.
 */
import path from 'node:path';
import { z } from 'zod';
import { PADES_LEVELS, type SigningLevel } from './signing/signing-level.js';

/** One configured token. */
export interface ConfiguredToken {
  /** CKA token label; the worker's queue route is `token:<label>`. */
  label?: string;
  serial?: string;
  /** Absolute path of the PKCS#11 module. */
  modulePath: string;
  /** Absolute path of the file whose first line is the user PIN. */
  pinFile: string;
  /** PAdES level of this token's signatures; absent: the service default (TSA_URL ? B-T : B-B). */
  level?: SigningLevel;
}

const ZTokenSpec = z
  .object({
    label: z.string().trim().min(1).max(32).optional(),
    serial: z.string().trim().min(1).max(16).optional(),
    module: z.string().trim().min(1),
    pinFile: z.string().trim().min(1),
    level: z.enum(PADES_LEVELS).optional(),
  })
  .strict()
  .refine((t) => t.label !== undefined || t.serial !== undefined, { message: 'name the token by label or serial' });

/** The zod schema of the SIGNSERVICE_TOKENS variable (absent or empty: no tokens). */
export const ZTokenList = z
  .string()
  .trim()
  .optional()
  .transform((text, ctx): unknown => {
    if (!text) return [];
    try {
      return JSON.parse(text);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `not JSON (${(error as Error).message})` });
      return z.NEVER;
    }
  })
  .pipe(z.array(ZTokenSpec).max(64))
  .transform((list): ConfiguredToken[] =>
    list.map((t) => ({
      ...(t.label === undefined ? {} : { label: t.label }),
      ...(t.serial === undefined ? {} : { serial: t.serial }),
      modulePath: path.resolve(t.module),
      pinFile: path.resolve(t.pinFile),
      ...(t.level === undefined ? {} : { level: t.level }),
    })),
  );
