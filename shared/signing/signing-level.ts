/**
 * The PAdES baseline levels SignService signs at [ETSI EN 319 142-1 §6]: B-B, B-T (signature timestamp),
 * B-LT (DSS with validation data) and B-LTA (document timestamp). Kept apart from the engine so the
 * configuration can name them without loading it.
 */
export const PADES_LEVELS = ['B-B', 'B-T', 'B-LT', 'B-LTA'] as const;
export type SigningLevel = (typeof PADES_LEVELS)[number];

/** The level when none is configured: B-T with a timestamp authority, else B-B. */
export function defaultLevel(tsaUrl: string | undefined): SigningLevel {
  return tsaUrl ? 'B-T' : 'B-B';
}
