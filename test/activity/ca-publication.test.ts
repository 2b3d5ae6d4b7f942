/**
 * The internal CA's publication routes served over HTTP, judged by OpenSSL: `openssl ocsp` gets good, revoked
 * (with time and reason) and unknown answers signed by the delegated responder, its nonce echoed, by POST and
 * by GET; `openssl crl` reads and verifies the CRL; the root certificate is served as DER.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Koa from 'koa';
import { errorHandler } from '../../activity/middleware/error-handler.js';
import { caPublicationRoutes } from '../../activity/routes/ca-publication.js';
import { describeCertificate } from '../../shared/crypto/certificate-info.js';
import type { IssuedRecord } from '../../shared/crypto/internal-ca/ca-store.js';
import { createRoot } from '../../shared/crypto/internal-ca/create-root.js';
import { issueCertificate } from '../../shared/crypto/internal-ca/issue-certificate.js';
import { revokeCertificate } from '../../shared/crypto/internal-ca/revoke-certificate.js';
import { buildOcspRequest, certIdOf } from '../../shared/crypto/revocation/ocsp-request.js';
import { checkOcspResponse, parseOcspResponse } from '../../shared/crypto/revocation/ocsp-response.js';
import { createRevocationFetcher } from '../../shared/crypto/revocation/revocation-fetcher.js';
import { collectValidationData } from '../../shared/crypto/revocation/validation-data.js';
import { silentLogger } from '../../shared/logger.js';
import { loadTemplates } from '../../shared/mail/render-template.js';
import { makeCaFixture, openssl, opensslResult, writeCertPem } from '../crypto/internal-ca/ca-fixture.js';
import { type ServedApp, serveApp } from '../support/serve-app.js';

describe('internal CA publication: /ca/root.crt, /ca/root.crl, /ca/ocsp', function () {
  this.timeout(60_000);
  let fixture: ReturnType<typeof makeCaFixture>;
  let served: ServedApp;
  let base: string;
  let alice: IssuedRecord;
  let bob: IssuedRecord;
  let rootPem: string;
  const pem = (name: string, der: Buffer) => writeCertPem(fixture.dir, name, der);

  before(async () => {
    fixture = makeCaFixture();
    const app = new Koa();
    app.use(
      errorHandler({ logger: silentLogger, renderer: loadTemplates(), defaultLanguage: 'en', isApi: () => true }),
    );
    const router = caPublicationRoutes({ store: fixture.store, masterKey: fixture.masterKey });
    app.use(router.routes()).use(router.allowedMethods());
    served = await serveApp(app);
    base = served.url;
    const { store, masterKey } = fixture;
    const root = await createRoot({
      store,
      masterKey,
      keyType: 'ec-p256',
      subject: { commonName: 'Acme CA', organization: 'Acme' },
      publicBaseUrl: base,
    });
    rootPem = pem('root', root.certificate);
    const subject = (cn: string) => ({ commonName: cn, organization: 'Acme' });
    alice = await issueCertificate({ store, masterKey, keyType: 'ec-p256', subject: subject('Alice') });
    bob = await issueCertificate({ store, masterKey, keyType: 'ec-p256', subject: subject('Bob') });
    await revokeCertificate({ store, masterKey, certificate: bob.id, reason: 'keyCompromise' });
  });
  after(async () => {
    await served?.close();
    fixture?.cleanup();
  });

  it('issues certificates that name the OCSP responder and the CRL under the public URL', () => {
    const info = describeCertificate(alice.certificate);
    assert.deepEqual(info.ocspUrls, [`${base}/ca/ocsp`]);
    assert.deepEqual(info.crlUrls, [`${base}/ca/root.crl`]);
    assert.deepEqual(info.caIssuersUrls, [`${base}/ca/root.crt`]);
  });

  const ocsp = (args: string[]) =>
    opensslResult(['ocsp', '-issuer', rootPem, '-CAfile', rootPem, '-url', `${base}/ca/ocsp`, '-resp_text', ...args]);

  it('answers good for a valid certificate, signed by a delegated responder, nonce echoed', async () => {
    const run = await ocsp(['-cert', pem('alice', alice.certificate)]);
    assert.equal(run.exitCode, 0, run.output);
    assert.match(run.output, /Response verify OK/);
    assert.match(run.output, /alice\.pem: good/);
    assert.match(run.output, /OCSP Nonce/);
    assert.doesNotMatch(run.output, /WARNING/);
    assert.match(run.output, /Responder Id: [0-9A-F]{40}/);
    assert.match(run.output, /OCSP No Check/);
    assert.match(run.output, /OCSP Signing/);
  });

  it('answers revoked with the time and the reason', async () => {
    const run = await ocsp(['-cert', pem('bob', bob.certificate)]);
    assert.equal(run.exitCode, 0, run.output);
    assert.match(run.output, /Response verify OK/);
    assert.match(run.output, /bob\.pem: revoked/);
    assert.match(run.output, /Reason: keyCompromise/);
    assert.match(run.output, /Revocation Time: /);
  });

  it('answers unknown for a serial it never issued, and unauthorized for another issuer', async () => {
    const run = await ocsp(['-serial', '0x0123456789ABCDEF']);
    assert.equal(run.exitCode, 0, run.output);
    assert.match(run.output, /0x0123456789ABCDEF: unknown/);
    const other = await opensslResult([
      'ocsp',
      '-issuer',
      pem('alice-as-issuer', alice.certificate),
      '-serial',
      '0x01',
      '-url',
      `${base}/ca/ocsp`,
    ]);
    assert.match(other.output, /unauthorized/i);
  });

  it('answers GET requests (base64 in the path) and refuses garbage as malformed', async () => {
    const rootDer = (await fixture.store.loadRoot())!.certificate;
    const id = certIdOf(describeCertificate(alice.certificate), describeCertificate(rootDer));
    const request = buildOcspRequest(id, Buffer.from('0123456789abcdef'));
    const response = await fetch(`${base}/ca/ocsp/${encodeURIComponent(request.toString('base64'))}`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/ocsp-response');
    const parsed = parseOcspResponse(Buffer.from(await response.arrayBuffer()));
    const check = checkOcspResponse(parsed, describeCertificate(alice.certificate), rootDer);
    assert.equal(check.problem, undefined);
    assert.equal(check.single?.status, 'good');
    assert.deepEqual(parsed.nonceExtensionValue?.subarray(2), Buffer.from('0123456789abcdef'));
    const garbage = await fetch(`${base}/ca/ocsp`, { method: 'POST', body: 'not a request' });
    assert.equal(parseOcspResponse(Buffer.from(await garbage.arrayBuffer())).responseStatus, 1);
  });

  it('serves the CRL (openssl crl verifies it and lists the revoked serial) and the root as DER', async () => {
    const crl = Buffer.from(await (await fetch(`${base}/ca/root.crl`)).arrayBuffer());
    const crlPath = path.join(fixture.dir, 'served.crl');
    fs.writeFileSync(crlPath, crl);
    const text = await openssl(['crl', '-inform', 'DER', '-in', crlPath, '-noout', '-text']);
    assert.match(text, new RegExp(`Serial Number: ${bob.serialNumber}`));
    assert.match(text, /Key Compromise/);
    const verified = await opensslResult(['crl', '-inform', 'DER', '-in', crlPath, '-CAfile', rootPem, '-noout']);
    assert.match(verified.output, /verify OK/);
    const root = await fetch(`${base}/ca/root.crt`);
    assert.equal(root.headers.get('content-type'), 'application/pkix-cert');
    assert.deepEqual(Buffer.from(await root.arrayBuffer()), (await fixture.store.loadRoot())!.certificate);
    const nothingElse = await fetch(`${base}/ca/root.json`);
    assert.equal(nothingElse.status, 404);
  });

  it('B-LT fetching: CRL and OCSP answers are cached until their nextUpdate (one request each)', async () => {
    const requests: string[] = [];
    const counting: typeof fetch = (input, init) => {
      requests.push(`${init?.method ?? 'GET'} ${String(input)}`);
      return fetch(input, init);
    };
    const fetcher = createRevocationFetcher({ fetch: counting });
    const rootDer = (await fixture.store.loadRoot())!.certificate;
    for (let i = 0; i < 3; i++) {
      const data = await collectValidationData([alice.certificate], [rootDer], { fetcher });
      assert.equal(data.ocspResponses.length, 1);
    }
    assert.deepEqual(requests, [`POST ${base}/ca/ocsp`]);
    for (let i = 0; i < 2; i++) await fetcher.crl(`${base}/ca/root.crl`);
    assert.equal(requests.filter((r) => r.endsWith('/ca/root.crl')).length, 1);
  });
});
