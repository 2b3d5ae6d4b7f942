/**
 * `signservice request submit | status` as an operator meets its refusals, on the embedded store and queue
 * with an internal-CA certificate and no service running: every refusal comes at once with its own exit
 * code and creates nothing; an accepted request is queued (and waits, since no worker runs), `--wait` ends
 * with 75, `status` shows it. The worker side is covered by the end-to-end suites.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { generateMasterKeyBytes, MasterKey } from '../../shared/crypto/master-key.js';
import { EmbeddedJobQueue } from '../../shared/queue/embedded/embedded-queue.js';
import { storeKeysFor } from '../../shared/store/create-store.js';
import { openEmbeddedStore } from '../../shared/store/embedded/embedded-store.js';
import type { Store } from '../../shared/store/store-ports.js';
import { type CliResult, runCli } from '../support/cli.js';
import { writePdfs } from './make-pdfs.js';
import { addSigner, type TestSigner } from './pipeline-fixture.js';

describe('signservice request (CLI)', function () {
  this.timeout(120_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let store: Store;
  let certId: string;
  let revokedId: string;
  let pdf: string;
  let mary: TestSigner;

  const cli = (args: string[]): Promise<CliResult> => runCli(args, env);

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-request-cli-'));
    const keyBytes = generateMasterKeyBytes();
    env = {
      SIGNSERVICE_DATA_DIR: path.join(dir, 'data'),
      SIGNSERVICE_MASTER_KEY: keyBytes.toString('base64'),
      AMQP_URL: '',
      MONGO_URL: '',
      SIGNSERVICE_TOKENS: '',
    };
    const must = async (args: string[]) => {
      const r = await cli(args);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout;
    };
    await must(['ca', 'init', '--cn', 'CLI Test CA', '--key-type', 'ec-p256']);
    const issue = async (cn: string) =>
      (
        JSON.parse(
          await must([
            'ca',
            'issue',
            '--cn',
            cn,
            '--org',
            'ACME',
            '--email',
            'x@example.org',
            '--key-type',
            'ec-p256',
            '--json',
          ]),
        ) as { id: string }
      ).id;
    certId = await issue('Mary Smith');
    revokedId = await issue('Old Mary');
    await must(['ca', 'revoke', revokedId]);
    store = await openEmbeddedStore(
      path.join(dir, 'data', 'signservice.sqlite'),
      storeKeysFor(MasterKey.fromBytes(keyBytes)),
    );
    const masterKey = MasterKey.fromBytes(keyBytes);
    mary = await addSigner(store, masterKey, { login: 'mary', certId });
    await store.grants.grant({
      accountId: mary.account.id,
      certId: revokedId,
      isDefault: false,
      grantedAt: new Date(),
    });
    await addSigner(store, masterKey, { login: 'ivan', certId, otpDisabled: true });
    await createAccountWithoutGrant(store, masterKey);
    [pdf] = await writePdfs(path.join(dir, 'in'), 1, 'cli');
  });

  async function createAccountWithoutGrant(s: Store, masterKey: MasterKey) {
    const signer = await addSigner(s, masterKey, { login: 'noga', certId, otpDisabled: true });
    await s.grants.revoke(signer.account.id, certId);
  }

  after(async () => {
    await store?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const refusals: { name: string; args: () => string[]; exit: number; message: RegExp }[] = [
    {
      name: 'a certificate not granted to the account',
      args: () => ['--account', 'noga', '--cert', certId],
      exit: 77,
      message: /not granted to account 'noga'/,
    },
    {
      name: 'an unknown certificate',
      args: () => ['--account', 'ivan', '--cert', 'deadbeefdeadbeef'],
      exit: 65,
      message: /No certificate with id deadbeefdeadbeef/,
    },
    {
      name: 'a revoked certificate',
      args: () => ['--account', 'mary', '--cert', revokedId, '--otp', mary.wrongCode()],
      exit: 65,
      message: /revoked/,
    },
    {
      name: 'a missing one-time code',
      args: () => ['--account', 'mary', '--cert', certId],
      exit: 77,
      message: /Enter the 6-digit one-time code/,
    },
    { name: 'an unknown account', args: () => ['--account', 'nobody', '--cert', certId], exit: 65, message: /nobody/ },
    {
      name: 'a page that is not a page',
      args: () => ['--account', 'ivan', '--cert', certId, '--page', 'middle'],
      exit: 64,
      message: /--page must be first, last or a page number/,
    },
  ];

  for (const r of refusals) {
    it(`refuses ${r.name} at once (exit ${r.exit}), creating nothing`, async () => {
      const result = await cli(['request', 'submit', pdf, ...r.args()]);
      assert.equal(result.code, r.exit, result.stderr);
      assert.match(result.stderr, r.message);
      assert.deepEqual(await store.signRequests.list(), []);
    });
  }

  it('refuses a file that is not a PDF (exit 65) and an output path equal to the input (exit 64)', async () => {
    const text = path.join(dir, 'notes.pdf');
    fs.writeFileSync(text, 'just some notes');
    const notPdf = await cli(['request', 'submit', text, '--account', 'ivan', '--cert', certId]);
    assert.equal(notPdf.code, 65, notPdf.stderr);
    assert.match(notPdf.stderr, /not a PDF file/);
    const same = await cli(['request', 'submit', pdf, '--account', 'ivan', '--cert', certId, '--out', pdf]);
    assert.equal(same.code, 64, same.stderr);
    assert.deepEqual(await store.signRequests.list(), []);
  });

  it('five wrong codes lock the account and the lockout is e-mailed to the signer and ADMIN_EMAIL', async () => {
    const masterKey = MasterKey.fromBytes(Buffer.from(env.SIGNSERVICE_MASTER_KEY as string, 'base64'));
    const petra = await addSigner(store, masterKey, { login: 'petra', certId });
    // Re-read: enrollment changed the account after addSigner created it.
    const enrolled = (await store.accounts.get(petra.account.id))!;
    await store.accounts.update({ ...enrolled, email: 'petra@acme.test', updatedAt: new Date() });
    const exits: (number | null)[] = [];
    for (let i = 1; i <= 5; i++) {
      const args = ['request', 'submit', pdf, '--account', 'petra', '--cert', certId, '--otp', petra.wrongCode()];
      exits.push((await runCli(args, { ...env, ADMIN_EMAIL: 'ops@acme.test' })).code);
    }
    assert.deepEqual(exits, [77, 77, 77, 77, 77]);
    assert.ok((await store.accounts.get(petra.account.id))?.lockout.lockedUntil, 'locked');
    const outbox = path.join(dir, 'data', 'outbox');
    const mails = await Promise.all(
      fs.readdirSync(outbox).map((n) => simpleParser(fs.readFileSync(path.join(outbox, n)))),
    );
    const to = (address: string) =>
      mails.filter((m) => !Array.isArray(m.to) && m.to?.value[0]?.address === address && /petra/.test(m.subject ?? ''));
    // In DEFAULT_LANGUAGE (Russian here): "… заблокирована до <time>".
    assert.equal(to('petra@acme.test').length, 1, 'the signer is told once');
    assert.match(to('petra@acme.test')[0]?.text ?? '', /заблокирована до/);
    assert.equal(to('ops@acme.test').length, 1, 'the operator is told once');
    assert.deepEqual(await store.signRequests.list({ accountId: petra.account.id }), []);
  });

  it('queues an accepted request; with no worker running, --wait ends with 75 and status shows it waiting', async () => {
    const r = await cli([
      'request',
      'submit',
      pdf,
      '--account',
      'mary',
      '--cert',
      certId.slice(0, 12),
      '--otp',
      mary.nextCode()!,
      '--position',
      'top-center',
      '--invisible',
      '--wait',
      '1',
    ]);
    assert.equal(r.code, 75, r.stderr);
    assert.match(r.stderr, /still approved after 1 s/);
    const id = r.stdout.trim();
    const request = (await store.signRequests.get(id))!;
    assert.equal(request.state, 'approved');
    assert.equal(request.route, 'internal');
    assert.equal(request.certId, certId, 'the full id is stored, whatever prefix was typed');
    assert.deepEqual(request.placement, { page: 'last', position: 'top-center', visible: false });
    assert.deepEqual(request.document, {
      kind: 'file',
      inputPath: pdf,
      outputPath: pdf.replace(/\.pdf$/, '-signed.pdf'),
    });
    assert.equal(request.steps.authorize?.data.otp, 'used');
    const queue = new EmbeddedJobQueue({ file: path.join(dir, 'data', 'queue.sqlite') });
    try {
      assert.equal((await queue.depth('internal')).ready, 1, 'one job waits for a worker');
    } finally {
      await queue.close();
    }
    const status = await cli(['request', 'status', id]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /State:\s+approved/);
    assert.match(status.stdout, /Account:\s+mary/);
    assert.match(status.stdout, /authorize\s+\S+\s+otp=used/);
    const json = await cli(['request', 'status', id, '--json']);
    assert.equal((JSON.parse(json.stdout) as { id: string; state: string }).state, 'approved');
    const unknown = await cli(['request', 'status', 'no-such-id']);
    assert.equal(unknown.code, 65);
    assert.match(unknown.stderr, /No sign request with id no-such-id/);
  });
});
