/**
 * `npm run demo` as a newcomer runs it: it builds, plays Mary's story against the portal emulator in
 * embedded mode, must exit 0 within a minute of demo time, and the folder it names must hold what it says
 * (the doubly signed PDF — checked again here with pdfsig — and the sign log export).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pdfsig } from '../support/verifiers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function runDemo(): Promise<{ code: number | null; stdout: string; stderr: string; demoMs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'demo'], {
      cwd: ROOT,
      env: { ...process.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let demoStarted = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!demoStarted && stdout.includes('SignService demo;')) demoStarted = Date.now();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, demoMs: Date.now() - (demoStarted || Date.now()) }));
  });
}

describe('npm run demo', function () {
  this.timeout(180_000);
  let folder: string | undefined;

  after(() => {
    if (folder?.includes('signservice-demo-')) fs.rmSync(folder, { recursive: true, force: true });
  });

  it('plays the story, exits 0 within a minute and leaves what it names', async () => {
    const { code, stdout, stderr, demoMs } = await runDemo();
    assert.equal(code, 0, `demo exit ${code}\n${stdout}\n${stderr}`);
    assert.ok(demoMs < 60_000, `the demo took ${demoMs} ms`);
    folder = /^Look at (\S+):$/m.exec(stdout)?.[1];
    assert.ok(folder && fs.existsSync(folder), `the demo names its folder:\n${stdout}`);
    for (const line of [
      "Mary's signature: completed",
      'the workflow got Result=signed',
      'pdfsig: 2 of 2 signatures valid',
      'Sign log: OK',
    ]) {
      assert.ok(stdout.includes(line), `the output says "${line}":\n${stdout}`);
    }
    for (const name of [
      'contract-signed-twice.pdf',
      'sign-log.csv',
      'sign-log.jsonl',
      'root/root.pem',
      'service.log',
    ]) {
      assert.ok(fs.existsSync(path.join(folder, name)), `${name} is in ${folder}`);
    }
    const report = await pdfsig(path.join(folder, 'contract-signed-twice.pdf'));
    assert.equal(report.signatures.length, 2, report.stdout);
    assert.ok(
      report.signatures.every((s) => s.validation === 'Signature is Valid.'),
      report.stdout,
    );
    const log = fs
      .readFileSync(path.join(folder, 'sign-log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(
      log.filter((e: { action: string }) => e.action === 'signed').length,
      2,
      'two signatures in the sign log',
    );
    const mails = fs.readdirSync(path.join(folder, 'data', 'outbox'));
    assert.ok(mails.length >= 2, 'the request and outcome e-mails are in the outbox');
  });
});
