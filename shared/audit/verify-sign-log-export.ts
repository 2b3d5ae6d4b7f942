/**
 * Verifies a JSON Lines export of the sign log with public material alone (no store, no master key): the
 * public hash chain of the entries, and every checkpoint against the service certificate (signature, the
 * hash of the entry it covers, its RFC 3161 timestamp). A checkpoint at entry S vouches for every entry of
 * the export from the start of its unbroken run up to S, because each of them is linked by hashes to the
 * one it signed. Entries after the last checkpoint are only covered by the MAC chain, which needs the master
 * key: the report lists them separately. Reads the file twice (checkpoints first, then the entries
 * streamed), so a long export is never held in memory.
 */
import type { X509Certificate } from 'node:crypto';
import type { SignLogCheckpoint } from '../domain/sign-log-checkpoint.js';
import { checkpointBeyondTheEnd, checkSignLogCheckpoint } from './check-sign-log-checkpoint.js';
import { readExportFile } from './read-sign-log-export.js';
import { type ChainPosition, checkSignLogEntry, positionAfter } from './sign-log-chain.js';
import type { CheckpointSummary } from './sign-log-report.js';

/** An unbroken run of entries in the export, and how far a checkpoint covers it. */
export interface ExportRun {
  from: number;
  to: number;
  /** The last checkpoint inside the run, covering entries from..checkpoint.seq. */
  checkpoint?: CheckpointSummary;
}

export interface ExportReport {
  ok: boolean;
  /** A time-range export (gaps between runs are expected); else the whole log from entry 1. */
  ranged: boolean;
  entries: number;
  runs: ExportRun[];
  /** Checkpoints checked against an entry of the export. */
  checkpointsChecked: number;
  /** Checkpoints naming entries this export does not hold (a time-range export). */
  checkpointsOutside: number;
  /** The certificate found in the export, when there was one. */
  exportCertificatePem?: string;
  /** The first problem: at an entry (`seq`), a checkpoint, or an unreadable line. */
  problem?: { seq?: number; checkpoint?: number; line?: number; reason: string };
}

/** The service certificate a verifier trusts, and its SHA-256. */
export interface TrustedCertificate {
  x509: X509Certificate;
  sha256: string;
}

/** What pass 1 collects: the header, the certificate and the checkpoints. */
async function collect(file: string) {
  const checkpoints: SignLogCheckpoint[] = [];
  let ranged = false;
  let pem: string | undefined;
  for await (const { line, record } of readExportFile(file)) {
    if (record.kind === 'invalid') return { problem: { line, reason: `line ${line} is unreadable: ${record.reason}` } };
    if (record.kind === 'header') ranged = record.ranged;
    if (record.kind === 'certificate') pem = record.pem;
    if (record.kind !== 'checkpoint') continue;
    const { number, seq } = record.checkpoint;
    if (checkpoints.some((c) => c.number === number || c.seq === seq)) {
      return {
        problem: { line, reason: `line ${line} repeats checkpoint #${number} or another checkpoint of entry ${seq}` },
      };
    }
    checkpoints.push(record.checkpoint);
  }
  checkpoints.sort((a, b) => a.number - b.number);
  return { checkpoints, ranged, ...(pem ? { pem } : {}) };
}

/**
 * Verifies `file` against `certificate` (from --cert, or the export's own, as the caller decides; undefined
 * when neither exists: then only the structure can be checked, and any checkpoint is a problem).
 */
export async function verifySignLogExport(
  file: string,
  certificateFor: (exportPem: string | undefined) => TrustedCertificate | undefined,
): Promise<ExportReport> {
  const collected = await collect(file);
  const report: ExportReport = {
    ok: true,
    ranged: false,
    entries: 0,
    runs: [],
    checkpointsChecked: 0,
    checkpointsOutside: 0,
  };
  const fail = (problem: ExportReport['problem']): ExportReport => ({ ...report, ok: false, problem });
  if ('problem' in collected) return fail(collected.problem);
  report.ranged = collected.ranged;
  if (collected.pem) report.exportCertificatePem = collected.pem;
  const certificate = certificateFor(collected.pem);
  const first = collected.checkpoints[0];
  if (first && !certificate) {
    return fail({
      seq: first.seq,
      checkpoint: first.number,
      reason: 'no service certificate to check the checkpoints against',
    });
  }
  const walked = await walkExport(file, collected.checkpoints, certificate, report);
  if ('problem' in walked) return fail(walked.problem);
  const unseen = collected.checkpoints.filter((c) => !walked.seen.has(c.number));
  const lastSeq = report.runs.at(-1)?.to ?? 0;
  if (!report.ranged && unseen[0] && certificate) {
    return fail(checkpointBeyondTheEnd(unseen[0], lastSeq, certificate.x509, 'the log or the export was cut short'));
  }
  report.checkpointsOutside = unseen.length;
  return report;
}

/**
 * Walks the entries of the export, run by run (a whole-log export is one run from entry 1), checking the
 * chain and each checkpoint met on the way; fills `report` and returns the checkpoints it checked.
 */
async function walkExport(
  file: string,
  checkpoints: readonly SignLogCheckpoint[],
  certificate: TrustedCertificate | undefined,
  report: ExportReport,
): Promise<{ seen: Set<number> } | { problem: NonNullable<ExportReport['problem']> }> {
  const bySeq = new Map(checkpoints.map((c) => [c.seq, c]));
  const seen = new Set<number>();
  let at: ChainPosition | undefined;
  let run: ExportRun | undefined;
  for await (const { line, record } of readExportFile(file)) {
    if (record.kind !== 'entry') continue;
    const { entry } = record;
    const startsRun = !at || (report.ranged && entry.seq > at.seq);
    if (startsRun) {
      if (run) report.runs.push(run);
      run = { from: entry.seq, to: entry.seq };
      // A run's first entry links to something outside the export, unless it is the log's first entry.
      at = {
        seq: report.ranged ? entry.seq : 1,
        prevHash: entry.seq === 1 || !report.ranged ? '' : entry.prevHash,
        prevMac: '',
      };
    }
    const broken = checkSignLogEntry(entry, at as ChainPosition);
    if (broken) return { problem: { ...broken, line } };
    const checkpoint = bySeq.get(entry.seq);
    if (checkpoint && certificate) {
      const verdict = checkSignLogCheckpoint(checkpoint, entry.hash, certificate);
      if (!verdict.ok) return { problem: { seq: entry.seq, checkpoint: checkpoint.number, reason: verdict.reason } };
      seen.add(checkpoint.number);
      report.checkpointsChecked++;
      (run as ExportRun).checkpoint = {
        number: checkpoint.number,
        seq: checkpoint.seq,
        time: checkpoint.time,
        ...(verdict.timestamp ? { timestamp: verdict.timestamp } : {}),
      };
    }
    (run as ExportRun).to = entry.seq;
    at = positionAfter(entry);
    report.entries++;
  }
  if (run) report.runs.push(run);
  return { seen };
}
