/**
 * Store files as the SignService before the keyed sign log left them: schema version 3 (no MAC column, no
 * checkpoints) and entries with hashes only, written straight into the file.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { SignLogEntry } from '../../shared/domain/sign-log-entry.js';
import { MIGRATIONS } from '../../shared/store/embedded/sqlite-schema.js';

/** Writes entries as rows without a MAC into an existing store file (any schema version). */
export function insertLegacyRows(file: string, entries: SignLogEntry[]): void {
  const raw = new Database(file);
  try {
    const insert = raw.prepare('INSERT INTO sign_log (seq, time, prev_hash, hash, body) VALUES (?, ?, ?, ?, ?)');
    for (const { seq, time, prevHash, hash, ...body } of entries) {
      insert.run(seq, time.toISOString(), prevHash, hash, JSON.stringify(body));
    }
  } finally {
    raw.close();
  }
}

/** A schema-version-3 store file holding `entries`. */
export function createVersion3Store(file: string, entries: SignLogEntry[]): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const v3 = new Database(file);
  try {
    v3.pragma('journal_mode = WAL');
    for (const step of MIGRATIONS.slice(0, 3)) v3.exec(step);
    v3.pragma('user_version = 3');
  } finally {
    v3.close();
  }
  insertLegacyRows(file, entries);
}
