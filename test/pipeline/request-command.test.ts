/**
 * `signservice request submit | status` as an operator meets its refusals, on the embedded store and queue
 * with an internal-CA certificate and no service running: every refusal comes at once with its own exit
 * code and creates nothing; an accepted request is queued (and waits, since no worker runs), `--wait` ends
 * with 75, `status` shows it. The worker side is covered by the end-to-end suites.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { generateMasterKeyBytes, MasterKey } from '../../shared/crypto/master-key.js';
import type { SignRequest } from '../../shared/domain/sign-request.js';
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

  it('submits several files with one code: one request each, one batch id; the code does not sign a second batch', async () => {
    const masterKey = MasterKey.fromBytes(Buffer.from(env.SIGNSERVICE_MASTER_KEY as string, 'base64'));
    const olga = await addSigner(store, masterKey, { login: 'olga', certId });
    const files = await writePdfs(path.join(dir, 'batch'), 3, 'batch');
    const refused = await cli([
      'request',
      'submit',
      ...files.slice(0, 2),
      '--account',
      'olga',
      '--cert',
      certId,
      '--out',
      path.join(dir, 'x.pdf'),
    ]);
    assert.equal(refused.code, 64, refused.stderr);
    assert.match(refused.stderr, /--out names the signed copy of one FILE/);
    const tooMany = await runCli(
      ['request', 'submit', ...files, '--account', 'olga', '--cert', certId, '--otp', '123456'],
      { ...env, BATCH_MAX_DOCUMENTS: '2' },
    );
    assert.equal(tooMany.code, 64, tooMany.stderr);
    assert.match(tooMany.stderr, /one code signs at most 2 at once/);
    assert.deepEqual(await store.signRequests.list({ accountId: olga.account.id }), [], 'nothing created');

    const code = olga.nextCode()!;
    const r = await cli(['request', 'submit', ...files, '--account', 'olga', '--cert', certId, '--otp', code]);
    assert.equal(r.code, 0, r.stderr);
    const ids = r.stdout.trim().split('\n');
    assert.equal(ids.length, 3, r.stdout);
    const requests = await Promise.all(ids.map(async (id) => (await store.signRequests.get(id))!));
    const batchId = requests[0]?.batchId;
    assert.ok(batchId, 'a batch id');
    assert.match(r.stderr, new RegExp(`as batch ${batchId} \\(one code, 3 requests\\)`));
    assert.deepEqual(
      requests.map((q) => [
        q.state,
        q.batchId,
        q.steps.authorize?.data.otp,
        q.document.kind === 'file' && q.document.inputPath,
      ]),
      files.map((f) => ['approved', batchId, 'used', f]),
    );
    const status = await cli(['request', 'status', ids[1]!]);
    assert.match(status.stdout, new RegExp(`Batch:\\s+${batchId}`));
    // The same code for another batch: refused as used, nothing created.
    const again = await cli(['request', 'submit', ...files, '--account', 'olga', '--cert', certId, '--otp', code]);
    assert.equal(again.code, 77, again.stderr);
    assert.match(again.stderr, /used already/);
    assert.equal((await store.signRequests.list({ accountId: olga.account.id })).length, 3);
  });

  it('approves several waiting robot requests with one code; an id of another account refuses them all', async () => {
    const masterKey = MasterKey.fromBytes(Buffer.from(env.SIGNSERVICE_MASTER_KEY as string, 'base64'));
    const pavel = await addSigner(store, masterKey, { login: 'pavel', certId });
    const rosa = await addSigner(store, masterKey, { login: 'rosa', certId });
    const waiting = (accountId: string, n: number): SignRequest => {
      const at = new Date();
      return {
        id: crypto.randomUUID(),
        state: 'awaiting_signer',
        version: 1,
        accountId,
        certId: '',
        route: '',
        document: {
          kind: 'bitrix24',
          memberId: 'm-cli',
          entityTypeId: 2,
          entityId: 100 + n,
          fieldCode: 'UF_CRM_X',
          fileId: '',
        },
        placement: { page: 'last', position: 'bottom-right', visible: true },
        otpRequired: true,
        steps: {},
        deadline: new Date(at.getTime() + 3_600_000),
        createdAt: at,
        updatedAt: at,
      };
    };
    const mine = [waiting(pavel.account.id, 1), waiting(pavel.account.id, 2)];
    const theirs = waiting(rosa.account.id, 3);
    for (const q of [...mine, theirs]) await store.signRequests.create(q);
    const code = pavel.nextCode()!;
    const forged = await cli(['request', 'approve', mine[0]!.id, theirs.id, mine[1]!.id, '--otp', code]);
    assert.equal(forged.code, 65, forged.stderr);
    assert.match(forged.stderr, new RegExp(`${theirs.id} is not one of yours; nothing was signed`));
    for (const q of [...mine, theirs]) assert.equal((await store.signRequests.get(q.id))?.state, 'awaiting_signer');
    // The refused call did not use the code: the genuine batch with it is approved.
    const r = await cli(['request', 'approve', mine[0]!.id, mine[1]!.id, '--otp', code, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { batchId: string; approved: { id: string; batchId: string; state: string }[] };
    assert.deepEqual(
      out.approved.map((q) => [q.id, q.state, q.batchId]),
      mine.map((q) => [q.id, 'approved', out.batchId]),
    );
    assert.equal((await store.signRequests.get(theirs.id))?.state, 'awaiting_signer');
  });
});
