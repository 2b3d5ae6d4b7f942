import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { integer, sequence, tlv, utf8String } from '../../shared/crypto/der.js';
import { OID } from '../../shared/crypto/oids.js';
import { checkTimeStampToken } from '../../shared/crypto/timestamp-token.js';
import { requestTimestamp } from '../../shared/crypto/tsa-client.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { runTool } from '../support/run-tool.js';
import { createTestPki, type TestPki } from '../support/test-pki.js';
import { startTestTsa, TEST_TSA_POLICY, type TestTsa } from '../support/tsa-server.js';

type Handler = (body: Buffer, res: ServerResponse) => void | Promise<void>;

/** A throw-away HTTP server on 127.0.0.1 that plays a misbehaving TSA. */
async function serve(handler: Handler): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void handler(Buffer.concat(chunks), res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/tsa`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

async function post(url: string, body: Buffer): Promise<Buffer> {
  const response = await fetch(url, { method: 'POST', body: new Uint8Array(body) });
  return Buffer.from(await response.arrayBuffer());
}

function expectAppError(code: string, message: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof AppError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  };
}

describe('requestTimestamp', function () {
  this.timeout(60_000);
  let pki: TestPki;
  let tsa: TestTsa;
  let dir: string;
  const servers: { close(): Promise<void> }[] = [];
  const data = Buffer.from('signature value bytes');

  before(async () => {
    pki = await createTestPki();
    tsa = await startTestTsa(pki);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsa-client-'));
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await tsa?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  const track = async (handler: Handler) => {
    const s = await serve(handler);
    servers.push(s);
    return s;
  };

  it('returns a token over SHA-256 of the data that openssl ts -verify accepts', async () => {
    const token = await requestTimestamp(tsa.url, data);
    const check = checkTimeStampToken(token);
    assert.equal(check.signatureValid, true);
    assert.equal(check.problem, undefined);
    assert.equal(check.info.policy, TEST_TSA_POLICY);
    assert.equal(check.info.hashAlgorithm, OID.sha256);
    assert.ok(check.info.hashedMessage.equals(createHash('sha256').update(data).digest()));
    assert.ok(check.info.nonce !== undefined && check.info.nonce > 0n);
    fs.writeFileSync(path.join(dir, 'token.der'), token);
    fs.writeFileSync(path.join(dir, 'data.bin'), data);
    const run = await runTool('openssl', [
      'ts',
      '-verify',
      '-in',
      path.join(dir, 'token.der'),
      '-token_in',
      '-data',
      path.join(dir, 'data.bin'),
      '-CAfile',
      pki.rootCertPath,
      '-untrusted',
      pki.tsa.chainPath,
    ]);
    assert.equal(run.exitCode, 0, run.stderr);
    // Two requests get two different nonces.
    assert.notEqual(checkTimeStampToken(await requestTimestamp(tsa.url, data)).info.nonce, check.info.nonce);
  });

  it('gets distinct tokens for parallel requests (the test TSA serialises openssl runs)', async () => {
    const before = tsa.requests;
    const tokens = await Promise.all([1, 2, 3, 4, 5].map((n) => requestTimestamp(tsa.url, Buffer.from(`data ${n}`))));
    const serials = new Set(tokens.map((t) => checkTimeStampToken(t).info.serialNumber));
    assert.equal(serials.size, 5);
    assert.equal(tsa.requests, before + 5);
  });

  it('says TSA_UNAVAILABLE when nothing listens, naming the URL', async () => {
    const closed = await serve(() => undefined);
    await closed.close();
    await assert.rejects(
      requestTimestamp(closed.url, data),
      expectAppError(ErrorCode.TSA_UNAVAILABLE, /127\.0\.0\.1.*cannot be reached \(ECONNREFUSED\)/),
    );
  });

  it('says TSA_UNAVAILABLE on a timeout', async () => {
    const silent = await track(() => undefined);
    await assert.rejects(
      requestTimestamp(silent.url, data, { timeoutMs: 300 }),
      expectAppError(ErrorCode.TSA_UNAVAILABLE, /did not answer within 300 ms/),
    );
  });

  it('says TSA_UNAVAILABLE on HTTP 5xx and TSA_BAD_RESPONSE on HTTP 4xx', async () => {
    const failing = await track((_, res) => void res.writeHead(503).end('busy'));
    await assert.rejects(requestTimestamp(failing.url, data), expectAppError(ErrorCode.TSA_UNAVAILABLE, /HTTP 503/));
    const missing = await track((_, res) => void res.writeHead(404).end());
    await assert.rejects(requestTimestamp(missing.url, data), expectAppError(ErrorCode.TSA_BAD_RESPONSE, /HTTP 404/));
  });

  it('says TSA_BAD_RESPONSE for an answer that is not a TimeStampResp', async () => {
    const garbage = await track((_, res) => void res.writeHead(200).end('<html>hello</html>'));
    await assert.rejects(
      requestTimestamp(garbage.url, data),
      expectAppError(ErrorCode.TSA_BAD_RESPONSE, /sent a bad answer/),
    );
  });

  it('says TSA_BAD_RESPONSE when the answer belongs to another request (replayed nonce)', async () => {
    let first: Buffer | undefined;
    const replaying = await track(async (body, res) => {
      first ??= await post(tsa.url, body);
      res.writeHead(200).end(first);
    });
    await requestTimestamp(replaying.url, data);
    await assert.rejects(requestTimestamp(replaying.url, data), expectAppError(ErrorCode.TSA_BAD_RESPONSE, /nonce/));
  });

  it('says TSA_BAD_RESPONSE when the token covers other data', async () => {
    const digest = createHash('sha256').update(data).digest();
    const other = createHash('sha256').update('other data').digest();
    const rewriting = await track(async (body, res) => {
      const at = body.indexOf(digest);
      res.writeHead(200).end(await post(tsa.url, Buffer.concat([body.subarray(0, at), other, body.subarray(at + 32)])));
    });
    await assert.rejects(
      requestTimestamp(rewriting.url, data),
      expectAppError(ErrorCode.TSA_BAD_RESPONSE, /message imprint/),
    );
  });

  it('reports a refusal with its status text; "try later" failures are transient', async () => {
    // PKIStatusInfo { status rejection(2), statusString, failInfo } [RFC 3161 §2.4.2].
    const refusal = (failBit: number) => {
      const bytes = Buffer.alloc(4);
      bytes[failBit >> 3] = 0x80 >> (failBit & 7);
      const failInfo = tlv(
        0x03,
        Buffer.concat([Buffer.from([7 - (failBit & 7)]), bytes.subarray(0, (failBit >> 3) + 1)]),
      );
      return sequence(sequence(integer(2), sequence(utf8String('policy says no')), failInfo));
    };
    const refusing = await track((_, res) => void res.writeHead(200).end(refusal(15)));
    await assert.rejects(
      requestTimestamp(refusing.url, data),
      expectAppError(ErrorCode.TSA_BAD_RESPONSE, /did not grant.*status 2; unacceptedPolicy; policy says no/),
    );
    const failing = await track((_, res) => void res.writeHead(200).end(refusal(25)));
    await assert.rejects(
      requestTimestamp(failing.url, data),
      expectAppError(ErrorCode.TSA_UNAVAILABLE, /systemFailure/),
    );
  });

  it('uses the injected fetch', async () => {
    let calls = 0;
    const viaFetch: typeof fetch = (_input, init) => {
      calls++;
      return fetch(tsa.url, init);
    };
    await requestTimestamp('https://tsa.example/never-called', data, { fetch: viaFetch });
    assert.equal(calls, 1);
  });
});
