/** Assertions on `runCli` results shared by the CLI suites. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { CliResult } from '../support/cli.js';
import { runTool } from '../support/run-tool.js';

/** Keeps the developer's own SignService settings out of the child processes. */
export const CLEAN_ENV: NodeJS.ProcessEnv = {
  SIGNSERVICE_CONFIG: '/dev/null',
  SIGNSERVICE_MASTER_KEY: '',
  SIGNSERVICE_MASTER_KEY_FILE: '',
  SIGNSERVICE_DATA_DIR: '',
  SIGNSERVICE_PKCS11_MODULE: '',
  SIGNSERVICE_TOKEN_LABEL: '',
  SIGNSERVICE_TOKEN_SERIAL: '',
  SIGNSERVICE_TOKEN_PIN_FILE: '',
  PUBLIC_BASE_URL: '',
};

/** Exit 0. */
export function expectOk(r: CliResult): void {
  assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

/** Exit 0 and stdout parsed as JSON. */
export function expectJson<T = Record<string, unknown>>(r: CliResult): T {
  expectOk(r);
  return JSON.parse(r.stdout) as T;
}

/**
 * The failure contract of the CLI: the given exit code, nothing on stdout, exactly one line on stderr
 * starting with "signservice: " and matching `message`, and (when named) no output file.
 */
export function expectOneLineError(r: CliResult, exit: number, message: RegExp, outputFile?: string): void {
  const context = `\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
  assert.equal(r.code, exit, `exit ${r.code}, expected ${exit}${context}`);
  assert.equal(r.stdout, '', `stdout should be empty${context}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr expected${context}`);
  assert.match(lines[0]!, /^signservice: /);
  assert.match(lines[0]!, message);
  if (outputFile) assert.equal(fs.existsSync(outputFile), false, `${outputFile} must not be created`);
}

/** The text mutool extracts from the rendered page, stamp appearance included. */
export async function pageText(pdf: string): Promise<string> {
  const run = await runTool('mutool', ['draw', '-F', 'txt', pdf]);
  assert.equal(run.exitCode, 0, run.stderr);
  return run.stdout;
}

/** Makes an NSS database that trusts `rootPem` as a CA ("CT,C,C"), as an operator would. */
export async function nssDbTrusting(dir: string, rootPem: string): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  for (const args of [
    ['-N', '-d', `sql:${dir}`, '--empty-password'],
    ['-A', '-d', `sql:${dir}`, '-n', 'SignService internal root', '-t', 'CT,C,C', '-i', rootPem],
  ]) {
    const run = await runTool('certutil', args);
    assert.equal(run.exitCode, 0, `certutil ${args.join(' ')}: ${run.stderr}`);
  }
  return dir;
}
