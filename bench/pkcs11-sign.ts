/**
 * Benchmark: signatures per second through the PKCS#11 provider (pkcs11js + SoftHSM2) with 1 and 2
 * sessions, RSA 2048 and EC P-256, about 3 s each, and the event-loop delay while signing. For scale it
 * also times Node's own crypto.sign with the same kind of key in software (synchronous, on the JS thread).
 *
 * Run: npx tsc -p . && node dist/bench/pkcs11-sign.js [seconds-per-case]
 */
import { createPrivateKey, type KeyObject, sign, verify, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { finalizeAllPkcs11Modules } from '../shared/crypto/pkcs11/pkcs11-module.js';
import { openToken } from '../shared/crypto/pkcs11/pkcs11-token.js';
import type { SigningKey } from '../shared/crypto/signing-key.js';
import { createSoftHsmToken, type SoftHsmToken } from '../test/support/softhsm.js';

const SECONDS = Number(process.argv[2] ?? 3);
const LABEL = 'bench';
const PIN = '1111';
const KEYS = [
  { id: '01', name: 'RSA 2048', keyType: 'rsa2048' },
  { id: '02', name: 'EC P-256', keyType: 'ecP256' },
] as const;

interface Row {
  key: string;
  signer: string;
  perSecond: number;
  p50: number;
  p99: number;
}

/** Signs for `seconds` with `inFlight` callers and measures throughput and event-loop delay. */
async function measure(sign: (data: Buffer) => Promise<Buffer>, seconds: number, inFlight: number) {
  const data = Buffer.alloc(1500, 7); // about the size of CMS signed attributes with a certificate digest
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  const deadline = performance.now() + seconds * 1000;
  let count = 0;
  histogram.enable();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < deadline) {
        await sign(data);
        count++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  histogram.disable();
  return { perSecond: count / elapsed, p50: histogram.percentile(50) / 1e6, p99: histogram.percentile(99) / 1e6 };
}

function assertVerifies(key: SigningKey, signature: Buffer): void {
  const data = Buffer.from('check');
  if (!verify('sha256', data, new X509Certificate(key.certificate).publicKey, signature)) {
    throw new Error(`${key.algorithm.kind} signature does not verify: the benchmark would measure garbage`);
  }
}

async function tokenRows(softHsm: SoftHsmToken): Promise<Row[]> {
  const rows: Row[] = [];
  for (const sessions of [1, 2]) {
    const token = await openToken(
      { modulePath: softHsm.modulePath, token: { label: LABEL }, pin: PIN },
      { sessionPoolSize: sessions },
    );
    for (const { id, name } of KEYS) {
      const key = token.signingKey(id);
      assertVerifies(key, await key.sign(Buffer.from('check')));
      // Twice as many callers as sessions, so a session never waits for the next request.
      const result = await measure((data) => key.sign(data), SECONDS, 2 * sessions);
      rows.push({ key: name, signer: `pkcs11js + SoftHSM2, ${sessions} session${sessions > 1 ? 's' : ''}`, ...result });
    }
    token.close();
  }
  return rows;
}

async function softwareRows(softHsm: SoftHsmToken): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [index, { name }] of KEYS.entries()) {
    const keyObject: KeyObject = createPrivateKey(readFileSync(softHsm.identities[index]!.keyPath));
    // Yield after each signature as a server would; the loop delay then shows the time each sign blocks.
    const signAndYield = async (data: Buffer) => {
      const signature = sign('sha256', data, keyObject);
      await new Promise((resolve) => setImmediate(resolve));
      return signature;
    };
    const result = await measure(signAndYield, SECONDS, 1);
    rows.push({ key: name, signer: 'node crypto.sign (software key, sync)', ...result });
  }
  return rows;
}

function printTable(rows: Row[]): void {
  const header = ['key', 'signer', 'signatures/s', 'loop delay p50 ms', 'loop delay p99 ms'];
  const lines = rows.map((r) => [r.key, r.signer, r.perSecond.toFixed(0), r.p50.toFixed(2), r.p99.toFixed(2)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) console.log(format(line));
  console.log('(event-loop delay from monitorEventLoopDelay, resolution 1 ms; figures include the 1 ms tick)');
}

async function main(): Promise<void> {
  const softHsm = await createSoftHsmToken({
    label: LABEL,
    pin: PIN,
    identities: KEYS.map(({ id, name, keyType }) => ({ id, keyType, cn: `Bench ${name}` })),
  });
  try {
    const rows = await tokenRows(softHsm);
    rows.push(...(await softwareRows(softHsm)));
    printTable(rows);
  } finally {
    finalizeAllPkcs11Modules();
    await softHsm.cleanup();
  }
}

await main();
