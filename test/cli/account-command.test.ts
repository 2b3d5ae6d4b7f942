/**
 * `signservice account …` as an operator runs it: the built CLI as a child process on an embedded data
 * directory, with enrollment links e-mailed through a real SMTP server and opened on the Koa app.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../../activity/app.js';
import { loadMasterKey } from '../../shared/crypto/load-master-key.js';
import { storeKeysFor } from '../../shared/store/create-store.js';
import { openEmbeddedStore } from '../../shared/store/embedded/embedded-store.js';
import { runCli } from '../support/cli.js';
import { serveApp } from '../support/serve-app.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';

describe('signservice account (CLI)', () => {
  let dir: string;
  let sink: SmtpSink;
  let env: NodeJS.ProcessEnv;
  const cli = (...args: string[]) => runCli(['account', ...args], env);

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-account-cli-'));
    sink = await startSmtpSink();
    env = {
      SIGNSERVICE_DATA_DIR: dir,
      SMTP_URL: sink.url,
      MAIL_FROM: 'SignService <signservice@acme.test>',
      PUBLIC_BASE_URL: 'https://sign.acme.test',
      DEFAULT_LANGUAGE: 'ru',
      MONGO_URL: '',
      SIGNSERVICE_MASTER_KEY: '',
      SIGNSERVICE_MASTER_KEY_FILE: '',
    };
  });
  after(async () => {
    await sink.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('prints help, and refuses unknown subcommands with the usage exit code', async () => {
    const help = await cli('--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /enroll-link LOGIN/);
    const untouched = path.join(dir, 'untouched');
    const bad = await cli('frobnicate', '--data-dir', untouched);
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /unknown account command 'frobnicate'/);
    assert.equal(fs.existsSync(untouched), false, 'a mistyped command creates no data directory');
  });

  it('adds, lists and shows accounts in the data directory `init` made (with the master key file)', async () => {
    const init = await runCli(['init'], env);
    assert.equal(init.code, 0, init.stderr);
    assert.match(
      init.stdout,
      /Made the SignService data directory .* \(SIGNSERVICE_DATA_DIR\): store .*signservice\.sqlite/,
    );
    assert.match(init.stderr, /WARNING: created a new master key in .*master\.key/);
    assert.equal(fs.statSync(path.join(dir, 'master.key')).mode & 0o777, 0o600);
    const again = await runCli(['init'], env);
    assert.match(again.stdout, /has a store already .*nothing changed/);
    const add = await cli(
      'add',
      'mary.s',
      '--description',
      'Mary Smith, accounting',
      '--email',
      'mary@acme.test',
      '--portal',
      'm1',
      '--bitrix-user',
      '7',
    );
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /Created account mary\.s/);
    assert.doesNotMatch(add.stderr, /created a new master key/);
    assert.equal((await cli('add', 'john', '--email', 'john@acme.test')).code, 0);
    const dup = await cli('add', 'MARY.S');
    assert.equal(dup.code, 65);
    assert.match(dup.stderr, /exists already/);
    const list = await cli('list');
    assert.match(list.stdout, /^LOGIN +STATUS +OTP +E-MAIL +PORTAL +USER +DESCRIPTION$/m);
    assert.match(list.stdout, /^mary\.s +active +not enrolled +mary@acme\.test +m1 +7 +Mary Smith, accounting$/m);
    assert.match(list.stdout, /^john +active +not enrolled +john@acme\.test +- +- *$/m);
    const json = JSON.parse((await cli('list', '--json')).stdout) as { login: string }[];
    assert.deepEqual(
      json.map((a) => a.login),
      ['john', 'mary.s'],
    );
    const show = await cli('show', 'mary.s');
    assert.match(show.stdout, /Portal: +m1\n/);
    assert.match(show.stdout, /Bitrix24: +user 7/);
    assert.match((await cli('show', 'john')).stdout, /Portal: +none \(service-wide account\)\nBitrix24: +not linked/);
    // A portal's account not linked yet (its user is found by e-mail later), and the portal's list.
    assert.equal((await cli('add', 'olga', '--portal', 'm1', '--email', 'olga@acme.test')).code, 0);
    const ofPortal = JSON.parse((await cli('list', '--portal', 'm1', '--json')).stdout) as { login: string }[];
    assert.deepEqual(
      ofPortal.map((a) => a.login),
      ['mary.s', 'olga'],
    );
    const noPortal = await cli('add', 'pavel', '--bitrix-user', '7');
    assert.equal(noPortal.code, 64);
    assert.match(noPortal.stderr, /--bitrix-user takes a numeric user id of the --portal/);
    assert.match(show.stdout, /Certificates: none granted/);
    const missing = await cli('show', 'nobody');
    assert.equal(missing.code, 65);
    assert.match(missing.stderr, /There is no account 'nobody'/);
  });

  it("sets an account's time zone (an IANA name, checked), shows it, and clears it", async () => {
    const made = await cli('add', 'tz.user', '--time-zone', 'Asia/Vladivostok');
    assert.equal(made.code, 0, made.stderr);
    assert.match((await cli('show', 'tz.user')).stdout, /Time zone: +Asia\/Vladivostok\n/);
    const set = await cli('time-zone', 'tz.user', 'Europe/Moscow');
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /tz\.user sees times in Europe\/Moscow/);
    assert.match((await cli('show', 'tz.user')).stdout, /Time zone: +Europe\/Moscow\n/);
    for (const bad of [
      ['time-zone', 'tz.user', 'Mars/Olympus'],
      ['add', 'tz.other', '--time-zone', 'MSK+3'],
    ]) {
      const refused = await cli(...bad);
      assert.equal(refused.code, 64, refused.stderr);
      assert.match(
        refused.stderr,
        /Unknown time zone '.*' \(time zone\): give an IANA time zone name such as Europe\/Moscow/,
      );
    }
    assert.match(
      (await cli('show', 'tz.user')).stdout,
      /Time zone: +Europe\/Moscow\n/,
      'a refused zone changes nothing',
    );
    assert.equal((await cli('show', 'tz.other')).code, 65, 'a refused add creates nothing');
    const cleared = await cli('time-zone', 'tz.user', 'none');
    assert.match(cleared.stdout, /no time zone of its own/);
    assert.match(
      (await cli('show', 'tz.user')).stdout,
      /Time zone: +not set \(the Bitrix24 user's, else the service's TZ\)/,
    );
  });

  it('grants and revokes certificates of the inventory, with a default', async () => {
    assert.equal((await runCli(['ca', 'init', '--cn', 'Account Test CA', '--key-type', 'ec-p256'], env)).code, 0);
    const issue = async (cn: string) => {
      const r = await runCli(['ca', 'issue', '--cn', cn, '--org', 'ACME', '--email', 'm@acme.test', '--json'], env);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { id: string }).id;
    };
    const [first, second] = [await issue('Mary One'), await issue('Mary Two')];
    // By a prefix of 12 digits, as `cert list` shows ids; the grant holds the full id.
    assert.equal((await cli('grant', 'mary.s', first.slice(0, 12))).code, 0);
    const granted = await cli('grant', 'mary.s', second, '--default');
    assert.match(granted.stdout, new RegExp(`Granted ${second} to mary\\.s \\(default\\)`));
    assert.match(
      (await cli('show', 'mary.s')).stdout,
      new RegExp(`Certificates:\\n {2}${second} {2}\\(default\\)[^\\n]*\\n {2}${first} `),
    );
    assert.equal((await cli('revoke', 'mary.s', second.slice(0, 12))).code, 0);
    const again = await cli('revoke', 'mary.s', second);
    assert.equal(again.code, 77);
    assert.match(again.stderr, /not granted/);
    const shown = JSON.parse((await cli('show', 'mary.s', '--json')).stdout) as {
      grants: { certId: string; isDefault: boolean }[];
    };
    assert.deepEqual(
      shown.grants.map((g) => [g.certId, g.isDefault]),
      [[first, true]],
    );
  });

  it('refuses to grant a certificate the inventory does not hold, saying where the ids are', async () => {
    const r = await cli('grant', 'mary.s', 'deadbeefdead');
    assert.equal(r.code, 65, r.stderr);
    assert.match(
      r.stderr,
      /^signservice: There is no certificate deadbeefdead in the certificate inventory .*`signservice cert list` shows the ids/,
    );
    const shown = JSON.parse((await cli('show', 'mary.s', '--json')).stdout) as { grants: { certId: string }[] };
    assert.equal(shown.grants.length, 1, 'nothing was granted');
  });

  it('disables OTP with a loud warning, enables it again, unlocks', async () => {
    const off = await cli('disable-otp', 'john');
    assert.equal(off.code, 0);
    assert.match(off.stderr, /WARNING: john now signs WITHOUT a one-time code/);
    assert.match((await cli('show', 'john')).stdout, /OTP: +DISABLED/);
    const on = await cli('enable-otp', 'john');
    assert.match(on.stdout, /needs a one-time code/);
    const unlock = await cli('unlock', 'john');
    assert.equal(unlock.code, 0);
    assert.match(unlock.stdout, /Unlocked john/);
  });

  it('prints the link, and e-mails it with --send in the chosen language', async () => {
    const plain = await cli('enroll-link', 'mary.s');
    assert.equal(plain.code, 0, plain.stderr);
    assert.doesNotMatch(plain.stderr, /created a new master key/, 'the key file of the first account is used');
    assert.match(
      plain.stdout,
      /^Enrollment link for mary\.s \(works once, until \d{4}-\d\d-\d\dT[\d:.]+Z\):\nhttps:\/\/sign\.acme\.test\/enroll\/[A-Za-z0-9_-]{43}$/m,
    );
    assert.equal(sink.messages.length, 0, 'no mail without --send');

    const sent = await cli('enroll-link', 'mary.s', '--send', '--lang', 'en');
    assert.equal(sent.code, 0, sent.stderr);
    assert.doesNotMatch(sent.stderr, /created a new master key/);
    assert.match(sent.stdout, /E-mailed to mary@acme\.test \(en\)/);
    const [mail] = await sink.waitFor(1);
    assert.match(mail?.subject ?? '', /^Set up one-time codes for signing \(mary\.s\)$/);
    const token = /\/enroll\/([A-Za-z0-9_-]{43})/.exec(sent.stdout)?.[1];
    assert.ok(token && mail?.text?.includes(`https://sign.acme.test/enroll/${token}?lang=en`));

    // The link works on the service that shares the data directory; the first link was replaced.
    const masterKey = loadMasterKey({ source: 'file', file: path.join(dir, 'master.key'), createIfMissing: false });
    const store = await openEmbeddedStore(path.join(dir, 'signservice.sqlite'), storeKeysFor(masterKey));
    const served = await serveApp(
      createApp({
        config: {
          publicBaseUrl: 'https://sign.acme.test',
          otp: { issuer: 'SignService', lockoutFailures: 5, lockoutWindowMinutes: 15, lockoutMinutes: 15 },
          enrollmentLinkMinutes: 60,
          defaultLanguage: 'ru',
        },
        store,
        masterKey,
      }),
    );
    try {
      const page = await fetch(`${served.url}/enroll/${token}?lang=en`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /This page sets up the authenticator app for account mary\.s/);
      const oldToken = /\/enroll\/([A-Za-z0-9_-]{43})/.exec(plain.stdout)?.[1];
      assert.equal((await fetch(`${served.url}/enroll/${oldToken}`)).status, 410);
    } finally {
      await served.close();
      await store.close();
    }
  });

  it('refuses --send for an account without an e-mail address and a bad --lang', async () => {
    assert.equal((await cli('add', 'nomail')).code, 0);
    const r = await cli('enroll-link', 'nomail', '--send');
    assert.equal(r.code, 64);
    assert.match(r.stderr, /has no e-mail address/);
    const lang = await cli('enroll-link', 'mary.s', '--lang', 'de');
    assert.equal(lang.code, 64);
    assert.match(lang.stderr, /--lang must be en or ru/);
  });
});
