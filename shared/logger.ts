/**
 * A small structured logger: one JSON line per event, written to an injected sink (stderr by default)
 * so tests can capture and scan it. Fields whose names look like secrets are replaced before writing —
 * "sanitize at the assignment", but this is the last line of defence, not the first.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEYS = /secret|password|passphrase|pin|token|authorization|master.?key|otp.?code|^code$|cookie/i;

export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
  child(fields: Record<string, unknown>): Logger;
}

function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error)
    return { name: value.name, message: value.message, code: (value as { code?: unknown }).code };
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [
      k,
      SECRET_KEYS.test(k) ? '[redacted]' : redact(v, depth + 1),
    ]),
  );
}

export function createLogger(
  options: { level?: LogLevel; sink?: (line: string) => void; base?: Record<string, unknown> } = {},
): Logger {
  const min = LEVELS[options.level ?? 'info'];
  const sink = options.sink ?? ((line: string) => process.stderr.write(`${line}\n`));
  const base = options.base ?? {};
  const write = (level: LogLevel, fields: Record<string, unknown>, message: string): void => {
    if (LEVELS[level] < min) return;
    sink(
      JSON.stringify({
        time: new Date().toISOString(),
        level,
        msg: message,
        ...(redact({ ...base, ...fields }) as object),
      }),
    );
  };
  return {
    debug: (f, m) => write('debug', f, m),
    info: (f, m) => write('info', f, m),
    warn: (f, m) => write('warn', f, m),
    error: (f, m) => write('error', f, m),
    child: (fields) => createLogger({ ...options, base: { ...base, ...fields } }),
  };
}

/** A logger that drops everything (library default). */
export const silentLogger: Logger = createLogger({ sink: () => {} });
