/**
 * Wraps every method of a repository so that whatever its driver throws reaches the caller as an AppError
 * (`toAppError` is the adapter's mapping: SQLite or MongoDB); AppErrors pass through unchanged.
 */
export function withErrorMapping<T extends object>(
  name: string,
  repository: T,
  toAppError: (error: unknown, what: string) => unknown,
): T {
  const wrapped: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(repository)) {
    if (typeof value !== 'function') {
      wrapped[key] = value;
      continue;
    }
    const what = `store operation ${name}.${key} failed`;
    wrapped[key] = (...args: unknown[]) => {
      const result: unknown = value.apply(repository, args);
      return result instanceof Promise ? result.catch((e: unknown) => Promise.reject(toAppError(e, what))) : result;
    };
  }
  return wrapped as T;
}
