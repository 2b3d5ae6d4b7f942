/**
 * Test support: signs a PDF the way another product would, with a digest and key SignService itself never
 * uses (SHA-384/SHA-512, ECDSA P-384, RSA-PSS). The engine's own placeholder writer makes the incremental update
 * (an invisible ETSI.CAdES.detached field); `openssl cms -sign -cades` makes the CMS over the /ByteRange bytes, so
 * the signature's cryptography is OpenSSL's, not ours.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PdfDocument } from '../../shared/pdf/pdf-document.js';
import { BufferSource } from '../../shared/pdf/pdf-source.js';
import { fillByteRange, prepareSignatureIncrement } from '../../shared/pdf/prepare-signature.js';
import { runTool } from './run-tool.js';
import type { TestIdentity } from './test-pki.js';

/** How the foreign signer signs. */
export interface ForeignSignOptions {
  identity: TestIdentity;
  digest: 'sha256' | 'sha384' | 'sha512';
  /** RSASSA-PSS (salt length = digest length) instead of PKCS#1 v1.5; RSA keys only. */
  pss?: boolean;
}

/** RSASSA-PSS salt length = the digest's length, as RFC 4055 §3.1 recommends. */
const SALT_LENGTHS = { sha256: 32, sha384: 48, sha512: 64 } as const;

/** Reads `input`, appends a signature made by openssl and writes the result to `output`. */
export async function signLikeAnotherProduct(
  input: string,
  output: string,
  options: ForeignSignOptions,
): Promise<void> {
  const bytes = fs.readFileSync(input);
  const doc = PdfDocument.open(new BufferSource(bytes));
  const prepared = prepareSignatureIncrement(
    doc,
    { signingTime: new Date(), placeholderSize: 8192, page: 'first', appearance: { kind: 'invisible' } },
    bytes[bytes.length - 1]!,
  );
  const [, a, b] = fillByteRange(prepared, bytes.length);
  const whole = Buffer.concat([bytes, prepared.bytes]);
  const signed = Buffer.concat([whole.subarray(0, a), whole.subarray(b!)]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'foreign-sig-'));
  try {
    const data = path.join(dir, 'signed-bytes.bin');
    const cms = path.join(dir, 'cms.der');
    fs.writeFileSync(data, signed);
    const pss = options.pss
      ? ['-keyopt', 'rsa_padding_mode:pss', '-keyopt', `rsa_pss_saltlen:${SALT_LENGTHS[options.digest]}`]
      : [];
    // biome-ignore format: a command line reads best as one
    const run = await runTool('openssl', [
      'cms', '-sign', '-binary', '-cades', '-nosmimecap', '-md', options.digest, '-in', data,
      '-signer', options.identity.certPath, '-inkey', options.identity.keyPath, '-certfile', options.identity.chainPath,
      '-outform', 'DER', '-out', cms, ...pss,
    ]);
    if (run.exitCode !== 0) throw new Error(`openssl cms -sign failed: ${run.stderr}`);
    const hex = fs.readFileSync(cms).toString('hex');
    if (hex.length > prepared.contentsEnd - prepared.contentsStart - 2) throw new Error('the CMS does not fit');
    prepared.bytes.write(hex, prepared.contentsStart + 1, 'latin1');
    fs.writeFileSync(output, Buffer.concat([bytes, prepared.bytes]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
