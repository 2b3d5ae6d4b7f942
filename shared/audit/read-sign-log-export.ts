/**
 * Reading a JSON Lines export of the sign log back (sign-log-export.ts writes it): each line becomes an
 * entry, a checkpoint, the service certificate or the header, with the types checked, because an export
 * is untrusted input (whoever handed it over may have edited it). A line that is not what it claims to be
 * is reported with its line number; the verifier decides what that means.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { SignLogCheckpoint } from '../domain/sign-log-checkpoint.js';
import type { SignLogEntry } from '../domain/sign-log-entry.js';

export type ExportRecord =
  | { kind: 'entry'; entry: SignLogEntry }
  | { kind: 'checkpoint'; checkpoint: SignLogCheckpoint }
  | { kind: 'certificate'; pem: string }
  | { kind: 'header'; ranged: boolean }
  | { kind: 'invalid'; reason: string };

type Json = Record<string, unknown>;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
const isText = (v: unknown): v is string => typeof v === 'string';

function dateOf(value: unknown): Date | undefined {
  if (!isText(value)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function entryOf(json: Json): ExportRecord {
  const time = dateOf(json.time);
  if (!isInt(json.seq) || !time || !isText(json.prevHash) || !isText(json.hash)) {
    return { kind: 'invalid', reason: 'an entry needs seq, time, prevHash and hash' };
  }
  if (json.mac !== undefined && !isText(json.mac)) return { kind: 'invalid', reason: 'an entry MAC must be text' };
  return { kind: 'entry', entry: { ...(json as unknown as SignLogEntry), time } };
}

function checkpointOf(json: Json): ExportRecord {
  const time = dateOf(json.time);
  const { number, seq, hash, signature, certificateSha256, timestamp } = json;
  if (!isInt(number) || !isInt(seq) || !time || !isText(hash) || !isText(signature) || !isText(certificateSha256)) {
    return { kind: 'invalid', reason: 'a checkpoint needs number, seq, hash, time, signature and certificateSha256' };
  }
  if (timestamp !== undefined && !isText(timestamp)) return { kind: 'invalid', reason: 'a timestamp must be text' };
  const checkpoint: SignLogCheckpoint = { number, seq, hash, time, signature, certificateSha256 };
  if (timestamp !== undefined) checkpoint.timestamp = timestamp;
  return { kind: 'checkpoint', checkpoint };
}

/** One line of an export. */
export function parseExportLine(line: string): ExportRecord {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { kind: 'invalid', reason: 'not JSON' };
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) return { kind: 'invalid', reason: 'not a JSON object' };
  const record = json as Json;
  switch (record.record) {
    case undefined:
      return entryOf(record);
    case 'checkpoint':
      return checkpointOf(record);
    case 'service-certificate':
      return isText(record.pem) ? { kind: 'certificate', pem: record.pem } : { kind: 'invalid', reason: 'no PEM' };
    case 'header':
      return { kind: 'header', ranged: record.from !== null || record.to !== null };
    default:
      return { kind: 'invalid', reason: `unknown record '${String(record.record)}'` };
  }
}

/** The records of an export file with their line numbers (blank lines skipped). */
export async function* readExportFile(file: string): AsyncGenerator<{ line: number; record: ExportRecord }> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() !== '') yield { line, record: parseExportLine(text) };
  }
}
