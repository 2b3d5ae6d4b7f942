/**
 * An internal CA in a run's data directory, made with the `signservice ca` commands as an operator makes
 * it: the root, one issued certificate (software key sealed under the run's master key) and an NSS
 * database that trusts the root, for pdfsig. Internal-CA keys route to `internal`, served by every worker.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runCli } from '../support/cli.js';
import { runTool } from '../support/run-tool.js';

export interface InternalCa {
  /** Inventory id of the issued certificate. */
  certId: string;
  /** NSS database trusting the root (pdfsig --nssDir). */
  nssDir: string;
}

/** Runs `signservice ca init` and `ca issue` with `env`; `dir` receives the exported root and NSS database. */
export async function makeInternalCa(env: NodeJS.ProcessEnv, dir: string, cn = 'Olga Internal'): Promise<InternalCa> {
  const cli = async (args: string[]) => {
    const r = await runCli(args, env);
    assert.equal(r.code, 0, `signservice ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  await cli(['ca', 'init', '--cn', 'Recovery Test CA', '--key-type', 'ec-p256']);
  const issued = await cli([
    'ca',
    'issue',
    '--cn',
    cn,
    '--org',
    'ACME',
    '--email',
    'o@example.org',
    '--key-type',
    'ec-p256',
    '--json',
  ]);
  const certId = (JSON.parse(issued) as { id: string }).id;
  await cli(['ca', 'export-root', '-o', path.join(dir, 'root')]);
  const nssDir = path.join(dir, 'nss-internal');
  fs.mkdirSync(nssDir, { recursive: true });
  for (const args of [
    ['-N', '-d', `sql:${nssDir}`, '--empty-password'],
    ['-A', '-d', `sql:${nssDir}`, '-n', 'Internal Root', '-t', 'CT,C,C', '-i', path.join(dir, 'root', 'root.pem')],
  ]) {
    const r = await runTool('certutil', args);
    assert.equal(r.exitCode, 0, r.stderr);
  }
  return { certId, nssDir };
}
