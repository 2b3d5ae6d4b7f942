import assert from 'node:assert/strict';
import { verify, X509Certificate } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { finalizeAllPkcs11Modules } from '../../../shared/crypto/pkcs11/pkcs11-module.js';
import { openToken, type Pkcs11Token } from '../../../shared/crypto/pkcs11/pkcs11-token.js';
import type { SigningKey } from '../../../shared/crypto/signing-key.js';
import { createSoftHsmToken, type SoftHsmToken } from '../../support/softhsm.js';

const LABEL = 'concurrency';
const PIN = '1357';

describe('Pkcs11Token under concurrent signing', () => {
  let softHsm: SoftHsmToken;
  let token: Pkcs11Token;

  before(async () => {
    softHsm = await createSoftHsmToken({
      label: LABEL,
      pin: PIN,
      identities: [
        { id: '01', keyType: 'rsa2048', cn: 'Concurrent RSA' },
        { id: '02', keyType: 'ecP256', cn: 'Concurrent EC' },
      ],
    });
    token = await openToken({ modulePath: softHsm.modulePath, token: { label: LABEL }, pin: PIN });
  });

  after(async () => {
    token?.close();
    finalizeAllPkcs11Modules();
    await softHsm?.cleanup();
  });

  it('makes 200 signatures 8 at a time on 2 sessions: no crash, all verify, event loop p99 < 20 ms', async () => {
    const keys = [token.signingKey('01'), token.signingKey('02')];
    const jobs = Array.from({ length: 200 }, (_, i) => ({ key: keys[i % 2]!, data: Buffer.from(`document ${i}`) }));
    const results: { key: SigningKey; data: Buffer; signature: Buffer }[] = [];
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    histogram.enable();
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < jobs.length) {
          const job = jobs[next++]!;
          results.push({ ...job, signature: await job.key.sign(job.data) });
        }
      }),
    );
    const elapsed = performance.now() - started;
    histogram.disable();
    const p50 = histogram.percentile(50) / 1e6;
    const p99 = histogram.percentile(99) / 1e6;
    const max = histogram.max / 1e6;
    console.log(
      `      200 signatures in ${elapsed.toFixed(0)} ms; event-loop delay p50 ${p50.toFixed(2)} ms, ` +
        `p99 ${p99.toFixed(2)} ms, max ${max.toFixed(2)} ms (resolution 1 ms, includes the 1 ms tick)`,
    );
    assert.equal(results.length, 200);
    const publicKeys = new Map(keys.map((k) => [k, new X509Certificate(k.certificate).publicKey]));
    for (const { key, data, signature } of results) {
      assert.ok(verify('sha256', data, publicKeys.get(key)!, signature), `signature over "${data}" fails`);
    }
    assert.ok(p99 < 20, `event-loop delay p99 ${p99.toFixed(2)} ms >= 20 ms`);
    assert.equal(token.health().loggedIn, true);
  });
});
