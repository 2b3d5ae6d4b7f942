/**
 * The pipeline's promise, checked the same way by every failure test (crash, broker outage, routing,
 * poison): each request completed; its output carries exactly one signature (counted by the engine's
 * `listSignatures` on the delivered bytes) and is byte for byte what the request says was signed; the
 * sign log is intact (hash chain, MACs under the run's master key, every checkpoint the workers made)
 * with exactly one signature entry per request (naming the request's batch, if any) and nothing signed for
 * anyone else. A sample of outputs goes through poppler's pdfsig as well (valid and trusted). After crashes,
 * `assertNoLeftovers`: no temporary file and no undelivered signed document stays behind.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { verifySignLog } from '../../shared/audit/verify-sign-log.js';
import type { MasterKey } from '../../shared/crypto/master-key.js';
import { FINAL_STATES, type SignRequest } from '../../shared/domain/sign-request.js';
import { PdfDocument } from '../../shared/pdf/pdf-document.js';
import { BufferSource } from '../../shared/pdf/pdf-source.js';
import { listSignatures } from '../../shared/pdf/signature-fields.js';
import type { Store } from '../../shared/store/store-ports.js';
import { assertAllValidAndTrusted, pdfsig } from '../support/verifiers.js';
import { signLogOf } from './pipeline-fixture.js';

/**
 * Polls the store until every request is final; returns them in the order of `ids`. Fails after
 * `timeoutMs` naming the requests still open and `context()` (e.g. the tail of a worker's log).
 */
export async function waitForFinal(
  store: Store,
  ids: readonly string[],
  options: { timeoutMs: number; context?: () => string },
): Promise<SignRequest[]> {
  const deadline = Date.now() + options.timeoutMs;
  const final = new Map<string, SignRequest>();
  for (;;) {
    for (const id of ids) {
      if (final.has(id)) continue;
      const request = await store.signRequests.get(id);
      if (request && FINAL_STATES.has(request.state)) final.set(id, request);
    }
    if (final.size === ids.length) return ids.map((id) => final.get(id) as SignRequest);
    if (Date.now() > deadline) {
      const open = ids.filter((id) => !final.has(id));
      const states = await Promise.all(open.slice(0, 10).map(async (id) => (await store.signRequests.get(id))?.state));
      assert.fail(
        `${open.length} of ${ids.length} requests not final after ${options.timeoutMs} ms ` +
          `(first: ${open
            .slice(0, 10)
            .map((id, i) => `${id}=${states[i]}`)
            .join(', ')})\n${options.context?.() ?? ''}`,
      );
    }
    await sleep(100);
  }
}

/** Number of completed requests among `ids` (a cheap progress probe for tests that act mid-batch). */
export async function countCompleted(store: Store, ids: readonly string[]): Promise<number> {
  let done = 0;
  for (const id of ids) if ((await store.signRequests.get(id))?.state === 'completed') done++;
  return done;
}

export interface ExactlyOnceOptions {
  /** The action every signature entry must have: 'signed' (one-time code used) or 'signed_without_otp'. */
  action: 'signed' | 'signed_without_otp';
  /** The run's master key: the sign log's MACs and checkpoints are checked with it. */
  masterKey: MasterKey;
  /** Check every n-th output with pdfsig too (valid and trusted in this NSS database). */
  pdfsig?: { nssDir: string | ((request: SignRequest) => string); every: number };
}

/** Asserts the exactly-once promise for `requests` (all of the run's requests). */
export async function assertExactlyOnce(store: Store, requests: SignRequest[], options: ExactlyOnceOptions) {
  assert.deepEqual(
    requests.filter((r) => r.state !== 'completed').map((r) => [r.id, r.state, r.failure?.message]),
    [],
    'every request completed',
  );
  for (const [i, request] of requests.entries()) {
    assert.equal(request.document.kind, 'file');
    const out = request.document.kind === 'file' ? request.document.outputPath : '';
    const bytes = fs.readFileSync(out);
    assert.equal(listSignatures(PdfDocument.open(new BufferSource(bytes))).length, 1, `one signature in ${out}`);
    assert.equal(crypto.createHash('sha256').update(bytes).digest('hex'), request.signedSha256, out);
    if (options.pdfsig && i % options.pdfsig.every === 0) {
      const { nssDir } = options.pdfsig;
      assertAllValidAndTrusted(await pdfsig(out, { nssDir: typeof nssDir === 'string' ? nssDir : nssDir(request) }), 1);
    }
  }
  const report = await verifySignLog(store, options.masterKey);
  assert.equal(report.ok, true, `the sign log is intact: ${JSON.stringify(report.problem)}`);
  const log = await signLogOf(store);
  const signatures = log.filter((e) => e.action === 'signed' || e.action === 'signed_without_otp');
  const perRequest = new Map<string, number>();
  for (const e of signatures) perRequest.set(e.requestId ?? '?', (perRequest.get(e.requestId ?? '?') ?? 0) + 1);
  assert.deepEqual(
    [...perRequest].filter(([, n]) => n !== 1),
    [],
    'no request has more than one signature entry',
  );
  assert.deepEqual(new Set(perRequest.keys()), new Set(requests.map((r) => r.id)), 'one entry per request, no other');
  assert.ok(
    signatures.every((e) => e.action === options.action),
    `every entry is '${options.action}'`,
  );
  // A request of a batch: its one entry names the batch (and a request of no batch names none).
  const entryOf = new Map(signatures.map((e) => [e.requestId, e]));
  assert.deepEqual(
    requests.filter((r) => entryOf.get(r.id)?.details?.batchId !== r.batchId).map((r) => r.id),
    [],
    'every entry names the batch of its request',
  );
  assert.deepEqual(
    log.filter((e) => e.action === 'failed').map((e) => e.requestId),
    [],
    'no request failed',
  );
}

/** Every `*.tmp` file under `dir`, and every file in its `blobs/` directory (paths relative to `dir`). */
function leftoversIn(dir: string): string[] {
  const found: string[] = [];
  const walk = (at: string) => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.tmp') || path.basename(at) === 'blobs') found.push(path.relative(dir, full));
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return found;
}

/**
 * Once every request is final, nothing stray may stay behind: no temporary file anywhere under `dirs` (the
 * data directory, the output folders) and no signed document in the blob store. The workers' recovery sweep
 * removes what crashes left; this waits up to `timeoutMs` for it, then names what is left.
 */
export async function assertNoLeftovers(dirs: readonly string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = dirs.flatMap((dir) => leftoversIn(dir).map((file) => path.join(dir, file)));
    if (left.length === 0) return;
    if (Date.now() > deadline) assert.fail(`left behind after every request was final: ${left.join(', ')}`);
    await sleep(200);
  }
}

/** The request ids of a worker log's lines with message `msg` (e.g. 'document signed'). */
export function requestsInLog(output: string, msg: string): string[] {
  const ids: string[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { msg?: string; requestId?: string };
      if (entry.msg === msg && entry.requestId) ids.push(entry.requestId);
    } catch {
      // a line cut by a SIGKILL, or not ours
    }
  }
  return ids;
}

/** The request ids a worker's log says it signed (its 'document signed' lines). */
export function signedInLog(output: string): string[] {
  return requestsInLog(output, 'document signed');
}
