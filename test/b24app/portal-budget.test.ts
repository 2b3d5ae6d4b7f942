/**
 * The portal's budget per signature, counted with the emulator's request log at Bitrix24's real limit
 * (2 requests/s, burst 50; a `batch` is one request, reference §1.7, §1.8): a wave of robot signatures on a
 * few deals — confirmation, the signer's notice, approval, fetch, delivery, timeline comment, the step's
 * outcome, the requester's notice — costs at most 2.5 portal requests per signed document. The file download
 * is the one request each document needs for itself; everything else travels in batches, uploads included.
 * A change that sends these calls one by one again costs about five requests a document and fails here.
 */
import assert from 'node:assert/strict';
import { makePdf } from '../pipeline/make-pdfs.js';
import type { PortalHandle } from '../support/bitrix24-emulator/index.js';
import { B24AppFixture, type PortalSigner } from './b24app-fixture.js';
import { signingWave } from './signing-wave.js';

const DEALS = 4;
const PER_DEAL = 5;
/** The target for `npm run bench:portal` (50 documents); a smaller wave batches less well. */
const MAX_REQUESTS_PER_DOCUMENT = 2.5;

describe('Bitrix24 budget: portal requests per signed document', function () {
  this.timeout(300_000);
  const fx = new B24AppFixture();
  let portal: PortalHandle;
  let signer: PortalSigner;

  before(async () => {
    await fx.start({
      emulator: { rateLimit: { burst: 50, drainPerSecond: 2 } },
      env: { B24_RATE_PER_SECOND: '2', B24_RATE_BURST: '50', WORKER_PREFETCH: '64', LOG_LEVEL: 'warn' },
    });
    portal = fx.emulator.portal('portal-a.bitrix24.test');
    await fx.install(portal);
    signer = await fx.signer(portal, 'wave', { otpDisabled: true });
  });
  after(() => fx.stop());

  it(`${DEALS * PER_DEAL} signatures on ${DEALS} deals: ≤ ${MAX_REQUESTS_PER_DOCUMENT} requests each, one download each, the rest in batches`, async () => {
    const pdfs = await Promise.all(Array.from({ length: PER_DEAL }, (_, k) => makePdf(`Wave document ${k + 1}`, 1)));
    const wave = await signingWave(fx, portal, {
      deals: DEALS,
      perDeal: PER_DEAL,
      pdf: (i) => pdfs[i % PER_DEAL] as Buffer,
      signer,
    });
    const t = wave.tally;
    const perDocument = t.requests / wave.documents;
    console.log(
      `      ${wave.documents} documents: ${t.requests} requests (${perDocument.toFixed(2)} each) in ` +
        `${wave.signedSeconds.toFixed(1)} s: ${t.downloads} downloads, direct ${JSON.stringify(t.direct)}, ` +
        `${t.batches} batches of ${t.commands} commands ${JSON.stringify(t.inBatch)}`,
    );
    // The step is closed before the request's last record (completed) is written: wait for its final state.
    for (const id of wave.requestIds) assert.equal((await fx.waitFor(id)).state, 'completed');
    for (const run of wave.runs) {
      const accepted = portal.eventSendCalls().filter((c) => c.eventToken === run.eventToken && c.accepted);
      assert.equal(accepted.length, 1, 'each step closed exactly once');
    }
    assert.equal(t.queryLimitExceeded, 0, 'the portal never refused a request');
    assert.equal(t.downloads, wave.documents, 'one download a document');
    assert.ok(
      (t.inBatch['crm.item.update'] ?? 0) > (t.direct['crm.item.update'] ?? 0),
      'the signed files travel in batches',
    );
    assert.ok(
      perDocument <= MAX_REQUESTS_PER_DOCUMENT,
      `${perDocument.toFixed(2)} portal requests per signed document (at most ${MAX_REQUESTS_PER_DOCUMENT})`,
    );
  });
});
