/**
 * `signservice audit export` and `audit export-cert`. The export writes entries of a time range in seq
 * order: CSV for people (a header, dotted columns) or JSON Lines for verifiers (a header line, the service
 * certificate, the entries exactly as stored, then the checkpoints that name exported entries — what
 * `audit verify --offline` needs). `export-cert` writes the service certificate (PEM) for verifiers to keep.
 */
import { X509Certificate } from 'node:crypto';
import {
  certificateJsonLine,
  checkpointJsonLine,
  exportHeaderLine,
  signLogCsvColumns,
  signLogCsvHeader,
  signLogCsvRow,
  signLogJsonLine,
} from '../../audit/sign-log-export.js';
import { certificateSha256 } from '../../audit/sign-log-service-key.js';
import { toPem } from '../../crypto/internal-ca/ca-key-types.js';
import { AppError, ErrorCode } from '../../errors.js';
import type { Store } from '../../store/store-ports.js';
import { type OutputSink, openOutputSink } from '../output-sink.js';

export interface ExportOptions {
  from: Date | undefined;
  to: Date | undefined;
  format: 'csv' | 'jsonl';
  output: string | undefined;
}

/** The CSV columns of the range and the last seq seen (entries appended meanwhile cannot add columns). */
async function csvColumns(store: Store, range: { from?: Date; to?: Date }) {
  const collector = signLogCsvColumns();
  let lastSeq = 0;
  for await (const entry of store.signLog.list(range)) {
    collector.add(entry);
    lastSeq = entry.seq;
  }
  return { columns: collector.columns(), lastSeq };
}

async function writeEntries(store: Store, sink: OutputSink, options: ExportOptions) {
  const range = { ...(options.from ? { from: options.from } : {}), ...(options.to ? { to: options.to } : {}) };
  const csv = options.format === 'csv' ? await csvColumns(store, range) : undefined;
  let count = 0;
  let first: number | undefined;
  let last = 0;
  if (csv) await sink.write(signLogCsvHeader(csv.columns));
  else {
    await sink.write(exportHeaderLine(options, new Date()));
    const key = await store.serviceKeys.get();
    if (key) await sink.write(certificateJsonLine(key.certificate));
  }
  for await (const entry of store.signLog.list(range)) {
    if (csv && entry.seq > csv.lastSeq) break;
    await sink.write(csv ? signLogCsvRow(entry, csv.columns) : signLogJsonLine(entry));
    first ??= entry.seq;
    last = entry.seq;
    count++;
  }
  if (!csv && first !== undefined) {
    for (const checkpoint of await store.signLogCheckpoints.list()) {
      if (checkpoint.seq >= first && checkpoint.seq <= last) await sink.write(checkpointJsonLine(checkpoint));
    }
  }
  return count;
}

/** `audit export`. */
export async function exportLog(store: Store, options: ExportOptions): Promise<number> {
  const sink = openOutputSink(options.output);
  let count: number;
  try {
    count = await writeEntries(store, sink, options);
    await sink.commit();
  } catch (e) {
    sink.abort();
    throw e;
  }
  process.stderr.write(`exported ${count} sign log entries${options.output ? ` to ${options.output}` : ''}\n`);
  return 0;
}

/** `audit export-cert`: the service certificate as PEM; its SHA-256 on stderr. */
export async function exportCertificate(store: Store, output: string | undefined): Promise<number> {
  const key = await store.serviceKeys.get();
  if (!key) {
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      'the service has no sign log key yet: it makes one with its first checkpoint (start the service, or run ' +
        "'signservice audit checkpoint')",
    );
  }
  const sink = openOutputSink(output);
  try {
    await sink.write(toPem(key.certificate, 'CERTIFICATE'));
    await sink.commit();
  } catch (e) {
    sink.abort();
    throw e;
  }
  const subject = new X509Certificate(key.certificate).subject.replace(/\n/g, ', ');
  process.stderr.write(
    `service certificate ${subject}, SHA-256 ${certificateSha256(key.certificate)}${output ? ` written to ${output}` : ''}\n`,
  );
  return 0;
}
