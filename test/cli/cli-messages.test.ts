/**
 * What the operator reads: errors in words (never an errno code or a temporary file's name), the version,
 * and a help of its own for every command and every subcommand — found by reading `signservice --help` and
 * each group's list, so a new subcommand is covered without touching this test.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeSystemError, fileErrorMessage, humanizeMessage } from '../../shared/fs/file-error.js';
import { type CliResult, runCli } from '../support/cli.js';
import { getCorpus } from '../support/corpus.js';
import { createTestPki, type TestPki } from '../support/test-pki.js';
import { CLEAN_ENV, expectOneLineError } from './cli-expect.js';

const BUNDLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../cli/signservice.mjs');
const PACKAGE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../package.json');

/** No errno code ("ENOENT"), no temporary file name, one line. */
function expectPlainError(r: CliResult, exit: number, message: RegExp, output?: string): void {
  expectOneLineError(r, exit, message, output);
  assert.doesNotMatch(r.stderr, /\bE[A-Z]{2,}\b/, `an errno code in: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\.tmp\b|tmp-\d/, `a temporary file name in: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /unexpected error/, r.stderr);
}

/** Runs `tasks` two at a time (the machine is shared). */
async function twoAtATime<T>(tasks: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const lane = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await (tasks[index] as () => Promise<T>)();
    }
  };
  await Promise.all([lane(), lane()]);
  return results;
}

/** The names of a help's "Commands:" list: `token create` of "  token create   create an API token". */
function listedCommands(help: string): string[][] {
  const section = /\nCommands:\n([\s\S]*?)(?:\n\n|$)/.exec(help)?.[1] ?? '';
  return section
    .split('\n')
    .filter((line) => /^ {2}\S/.test(line))
    .map((line) => {
      const head = line.trim().split(/\s{2,}/)[0] as string;
      const words = head.split(' ');
      const end = words.findIndex((w) => !/^[a-z][a-z0-9-]*$/.test(w));
      return end === -1 ? words : words.slice(0, end);
    });
}

describe('what the signservice CLI says', function () {
  this.timeout(300_000);
  let dir: string;
  let pki: TestPki;
  let pdf: string;

  before(async function () {
    this.timeout(300_000);
    pki = await createTestPki();
    pdf = (await getCorpus()).good.find((f) => f.name === 'reportlab-classic.pdf')!.path;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-messages-'));
    // Readable by the unprivileged user the read-only case runs as.
    fs.chmodSync(dir, 0o755);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('errors in words', () => {
    const sign = (input: string, output: string, options = {}) =>
      runCli(
        [
          'sign',
          input,
          '-o',
          output,
          '--p12',
          path.join(dir, 'signer.p12'),
          '--p12-password',
          pki.identities.rsa2048.p12Password,
        ],
        CLEAN_ENV,
        { cwd: dir, ...options },
      );
    before(() => {
      fs.copyFileSync(pki.identities.rsa2048.p12Path, path.join(dir, 'signer.p12'));
      fs.chmodSync(path.join(dir, 'signer.p12'), 0o644);
      fs.copyFileSync(pdf, path.join(dir, 'in.pdf'));
      fs.chmodSync(path.join(dir, 'in.pdf'), 0o644);
    });

    it('signing into a folder that does not exist says so', async () => {
      const out = path.join(dir, 'missing', 'out.pdf');
      const r = await sign(path.join(dir, 'in.pdf'), out);
      expectPlainError(r, 74, new RegExp(`Cannot write ${out}: the folder ${path.dirname(out)} does not exist$`), out);
      assert.equal(fs.existsSync(path.dirname(out)), false);
    });

    it('signing into a read-only folder: permission denied, nothing left behind', async () => {
      const ro = path.join(dir, 'read-only');
      fs.mkdirSync(ro, { mode: 0o555 });
      fs.chmodSync(ro, 0o555);
      // root writes anywhere: run as nobody then (the folder is root's).
      const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
      const out = path.join(ro, 'out.pdf');
      const r = await sign(path.join(dir, 'in.pdf'), out, asUser);
      expectPlainError(r, 74, new RegExp(`Cannot write ${out}: permission denied$`), out);
      assert.deepEqual(fs.readdirSync(ro), [], 'no temporary file');
    });

    it('a missing input: no such file or folder', async () => {
      const input = path.join(dir, 'nope.pdf');
      const out = path.join(dir, 'nope-signed.pdf');
      expectPlainError(await sign(input, out), 74, new RegExp(`Cannot read ${input}: no such file or folder$`), out);
    });

    it('puts system errors in words wherever they come from, temporary names as their target', () => {
      let raw: unknown;
      try {
        fs.openSync(path.join(dir, 'missing', '.out.pdf.1234.0123456789ab.tmp'), 'wx');
      } catch (error) {
        raw = error;
      }
      assert.equal(
        describeSystemError(raw),
        `Cannot open ${path.join(dir, 'missing', 'out.pdf')}: no such file or folder`,
      );
      assert.equal(
        humanizeMessage(`delivery failed: ${(raw as Error).message}`),
        `delivery failed: Cannot open ${path.join(dir, 'missing', 'out.pdf')}: no such file or folder`,
      );
      assert.equal(
        fileErrorMessage('write', '/srv/out/.x.pdf.5d3f6a0e-1b2c-4d5e-8f90-123456789abc.tmp', { code: 'ENOSPC' }),
        'Cannot write /srv/out/x.pdf: the disk is full',
      );
      assert.equal(
        fileErrorMessage('read', '/srv/x.pdf', { code: 'EWHATEVER' }),
        'Cannot read /srv/x.pdf: an unexpected system error',
      );
    });
  });

  it("--version and -V print package.json's version, from both the tsc output and the bundle", async () => {
    const { version } = JSON.parse(fs.readFileSync(PACKAGE, 'utf8')) as { version: string };
    for (const entry of [undefined, BUNDLE]) {
      for (const flag of ['--version', '-V']) {
        const r = await runCli([flag], CLEAN_ENV, entry ? { entry, cwd: os.tmpdir() } : { cwd: os.tmpdir() });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, `signservice ${version}\n`);
      }
    }
  });

  it('every command and every subcommand has a help of its own', async () => {
    const top = await runCli(['--help'], CLEAN_ENV);
    assert.equal(top.code, 0, top.stderr);
    assert.match(top.stdout, /-V, --version/);
    const commands = listedCommands(top.stdout).map((words) => words.join(' '));
    assert.ok(commands.length >= 15, `commands listed: ${commands.join(', ')}`);
    const groups = await twoAtATime(commands.map((command) => () => runCli([command, '--help'], CLEAN_ENV)));
    const checks: { args: string[]; groupHelp: string }[] = [];
    commands.forEach((command, i) => {
      const help = groups[i] as CliResult;
      assert.equal(help.code, 0, `${command} --help: ${help.stderr}`);
      assert.match(help.stdout, new RegExp(`^Usage: signservice ${command}\\b`), `${command} --help`);
      for (const sub of listedCommands(help.stdout)) checks.push({ args: [command, ...sub], groupHelp: help.stdout });
    });
    const groupsWithSubcommands = new Set(checks.map((c) => c.args[0]));
    for (const group of ['account', 'admin', 'audit', 'ca', 'request'])
      assert.ok(groupsWithSubcommands.has(group), group);
    const subs = await twoAtATime(
      checks.map(
        ({ args }) =>
          () =>
            runCli([...args, '--help'], CLEAN_ENV),
      ),
    );
    checks.forEach(({ args, groupHelp }, i) => {
      const help = subs[i] as CliResult;
      const name = args.join(' ');
      assert.equal(help.code, 0, `${name} --help: ${help.stderr}`);
      assert.match(help.stdout, new RegExp(`^Usage: signservice ${name}(\\s|$)`), `${name} --help:\n${help.stdout}`);
      assert.notEqual(help.stdout, groupHelp, `${name} --help prints the group's help`);
      assert.doesNotMatch(help.stdout, /\nCommands:\n/, `${name} --help lists commands`);
    });
  });
});
