/**
 * A wave of robot signatures on a set of deals, as a portal sees them: `deals` deals holding `perDeal` PDFs
 * each (one single file field per document, `UF_CRM_DOC_<k>`), one robot call per document naming its field,
 * each signer notified (the worker confirms the call and the notice sweep sends the request first, as in
 * life), then approved; done when every workflow step is closed with Result=signed and every requester has
 * been told the outcome. Returns the timings and the portal's requests for the whole wave (emulator log),
 * so a test or `npm run bench:portal` can divide them by the documents signed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { SignRequest } from '../../shared/domain/sign-request.js';
import type { PortalHandle, RecordedRequest, RobotRun } from '../support/bitrix24-emulator/index.js';
import { type PortalTally, tallyPortalRequests } from '../support/portal-request-tally.js';
import { type B24AppFixture, type PortalSigner, ROBOT_CODE } from './b24app-fixture.js';

export interface WaveOptions {
  deals: number;
  perDeal: number;
  /** The PDF of document `i` (0-based). */
  pdf: (i: number) => Buffer;
  signer: PortalSigner;
  /** @default 300000 */
  timeoutMs?: number;
  /** Progress lines. */
  progress?: (line: string) => void;
}

export interface WaveResult {
  documents: number;
  runs: RobotRun[];
  requestIds: string[];
  /** First robot call → last step closed with Result=signed, seconds. */
  signedSeconds: number;
  /** First robot call → every outcome notice sent, seconds. */
  settledSeconds: number;
  records: RecordedRequest[];
  tally: PortalTally;
}

/** Runs `work` over `items` with at most `limit` at a time. */
export async function inParallel<T, R>(items: T[], limit: number, work: (item: T, i: number) => Promise<R>) {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: limit }, async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await work(items[i] as T, i);
  });
  await Promise.all(lanes);
  return out;
}

/** The document fields of the wave's deals. */
export const docField = (k: number) => `UF_CRM_DOC_${k + 1}`;

/** Creates the deals: `deals` × `perDeal` documents; returns [dealId, field] per document. */
function seedDeals(portal: PortalHandle, options: WaveOptions): { dealId: number; field: string }[] {
  for (let k = 0; k < options.perDeal; k++) {
    if (!portal.state.userFields.has(docField(k))) portal.addFileField(docField(k), { multiple: false });
  }
  const docs: { dealId: number; field: string }[] = [];
  for (let d = 0; d < options.deals; d++) {
    const files: Record<string, { name: string; bytes: Buffer }[]> = {};
    for (let k = 0; k < options.perDeal; k++) {
      files[docField(k)] = [{ name: `Contract ${d + 1}-${k + 1}.pdf`, bytes: options.pdf(d * options.perDeal + k) }];
    }
    const dealId = portal.createDeal({ title: `Wave deal ${d + 1}`, files }).id;
    for (let k = 0; k < options.perDeal; k++) docs.push({ dealId, field: docField(k) });
  }
  return docs;
}

async function waitUntil(what: string, timeoutMs: number, done: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(200);
  }
}

/** Runs the wave on `portal`. */
export async function signingWave(fx: B24AppFixture, portal: PortalHandle, options: WaveOptions): Promise<WaveResult> {
  const timeoutMs = options.timeoutMs ?? 300_000;
  const say = options.progress ?? (() => undefined);
  const docs = seedDeals(portal, options);
  const mark = portal.requests().length;
  const started = Date.now();
  const runs = await inParallel(docs, 10, ({ dealId, field }) =>
    fx.emulator.runRobot(portal, ROBOT_CODE, {
      dealId,
      properties: { signer: `user_${options.signer.userId}`, file_field: field },
    }),
  );
  for (const run of runs) {
    if (run.response.status !== 200) throw new Error(`robot handler answered ${run.response.status}`);
  }
  const ids = runs.map((run) => fx.requestIdOf(portal, run));
  say(`${ids.length} robot calls stored (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  const get = (id: string) => fx.store.signRequests.get(id);
  // The signer approves once told (the notice sweep sends the request after the portal confirmed the call).
  await inParallel(ids, 8, async (id) => {
    await waitUntil(`request ${id} notified`, timeoutMs, async () => {
      const r = await get(id);
      if (r && r.state !== 'received' && r.state !== 'awaiting_signer') {
        throw new Error(`request ${id} is ${r.state}: ${JSON.stringify(r.failure)}`);
      }
      return Boolean(r?.notified?.requested);
    });
    await fx.approve(id, options.signer);
  });
  say(`${ids.length} approved (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  const closed = (run: RobotRun) => portal.eventSendCalls().find((c) => c.eventToken === run.eventToken && c.accepted);
  await waitUntil('every step closed', timeoutMs, () => runs.every((run) => closed(run) !== undefined));
  const signedSeconds = (Date.now() - started) / 1000;
  for (const run of runs) {
    const result = closed(run)?.matchedReturnValues.Result;
    if (result !== 'signed') throw new Error(`step ${run.workflowId} closed with Result=${result}`);
  }
  say(`${ids.length} steps closed with Result=signed (${signedSeconds.toFixed(1)} s)`);
  const told = (r: SignRequest | undefined) => r?.state === 'completed' && Boolean(r.notified?.outcome);
  await waitUntil('every outcome told', timeoutMs, async () => (await Promise.all(ids.map(get))).every(told));
  const settledSeconds = (Date.now() - started) / 1000;
  await sleep(2000); // anything still under way shows in the log now
  const records = portal.requests().slice(mark);
  return {
    documents: docs.length,
    runs,
    requestIds: ids,
    signedSeconds,
    settledSeconds,
    records,
    tally: tallyPortalRequests(records),
  };
}
