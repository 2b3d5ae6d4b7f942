/**
 * SQLite's own consistency checks on a file: `PRAGMA quick_check` (the b-tree structure and record format
 * of every page: O(N), checked at every start) or `PRAGMA integrity_check` (also that every index matches
 * its table; `signservice doctor`). A file so damaged that SQLite refuses to read it (SQLITE_CORRUPT,
 * SQLITE_NOTADB) fails the check with that error.
 */
import Database from 'better-sqlite3';

export interface IntegrityReport {
  ok: boolean;
  /** What SQLite reported, at most `MAX_PROBLEMS` lines ("ok" has none). */
  problems: string[];
}

const MAX_PROBLEMS = 10;

/** Runs the check on `file` (which must exist) in a connection of its own. */
export function checkSqliteIntegrity(file: string, level: 'quick' | 'full'): IntegrityReport {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { fileMustExist: true, timeout: 15_000 });
    const rows = db.pragma(level === 'quick' ? `quick_check(${MAX_PROBLEMS})` : `integrity_check(${MAX_PROBLEMS})`, {
      simple: false,
    }) as Record<string, string>[];
    const lines = rows.map((row) => String(Object.values(row)[0]));
    const ok = lines.length === 1 && lines[0] === 'ok';
    return { ok, problems: ok ? [] : lines.flatMap((l) => l.split('\n')).slice(0, MAX_PROBLEMS) };
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'error';
    return { ok: false, problems: [`${code}: ${(error as Error).message}`] };
  } finally {
    db?.close();
  }
}
