/** Test helpers for the internal CA: a temporary data directory with a file store, and openssl runs. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileCaStore } from '../../../shared/crypto/internal-ca/file-ca-store.js';
import { generateMasterKeyBytes, MasterKey } from '../../../shared/crypto/master-key.js';
import { runTool } from '../../support/run-tool.js';

/** A fresh data directory with a CA store and a master key; `cleanup()` removes it. */
export function makeCaFixture(): { dir: string; store: FileCaStore; masterKey: MasterKey; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-ca-'));
  return {
    dir,
    store: new FileCaStore(dir),
    masterKey: MasterKey.fromBytes(generateMasterKeyBytes()),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs openssl and returns stdout; fails with stderr when it exits non-zero. */
export async function openssl(args: string[]): Promise<string> {
  const run = await runTool('openssl', args);
  if (run.exitCode !== 0) throw new Error(`openssl ${args.join(' ')} failed (exit ${run.exitCode}):\n${run.stderr}`);
  return run.stdout;
}

/** Runs openssl and returns exit code and both outputs, whatever the exit code. */
export async function opensslResult(args: string[]): Promise<{ exitCode: number; output: string }> {
  const run = await runTool('openssl', args);
  return { exitCode: run.exitCode, output: run.stdout + run.stderr };
}

/** Writes DER as a PEM certificate file (for openssl verify) and returns its path. */
export function writeCertPem(dir: string, name: string, der: Buffer): string {
  const file = path.join(dir, `${name}.pem`);
  const body = der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  fs.writeFileSync(file, `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`);
  return file;
}

/** `openssl x509 -text` of a DER certificate. */
export async function certificateText(dir: string, name: string, der: Buffer): Promise<string> {
  return openssl(['x509', '-in', writeCertPem(dir, name, der), '-noout', '-text', '-nameopt', 'utf8,sep_comma_plus']);
}
