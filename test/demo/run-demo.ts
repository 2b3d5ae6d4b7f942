#!/usr/bin/env node
/**
 * `npm run demo`: Mary's story from ../shared/DESIGN.md §2, end to end on this machine, in embedded mode
 * (SQLite store and queue in a temporary data directory, internal-CA certificates, mail to the outbox
 * folder) against the Bitrix24 portal emulator of the tests (test/support/bitrix24-emulator — the one place
 * outside the tests that uses it). It installs the app, creates and enrolls Mary, grants her two
 * certificates, signs a deal's PDF through the Sign dialog, then runs the "Approve & sign PDF" robot for
 * Peter, who approves on the approval page from his e-mail. It leaves the doubly signed PDF, the sign log
 * export and the e-mails in a folder it names, and exits 0 only when both signatures verify.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ROBOT_CODE } from '../../shared/bitrix24/robot-definition.js';
import { startPortalEmulator } from '../support/bitrix24-emulator/index.js';
import { freePort } from '../support/service-process.js';
import { approveOnPage, enrollLikeFreeOtp, readDialogPage, signFromDialog, waitForMail } from './demo-people.js';
import { startDemoService } from './demo-service.js';
import { samplePdf, verifyBoth } from './demo-verify.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = path.join(ROOT, 'dist/shared/cli/main.js');
const FIELD = 'UF_CRM_CONTRACT_PDF';
const started = Date.now();

function say(text: string): void {
  process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${text}\n`);
}

async function main(): Promise<number> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-demo-'));
  const dataDir = path.join(out, 'data');
  const app = { clientId: 'app.signservice.demo', clientSecret: crypto.randomBytes(24).toString('hex') };
  const emulator = await startPortalEmulator({ app });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SIGNSERVICE_DATA_DIR: dataDir,
    SIGNSERVICE_MASTER_KEY: crypto.randomBytes(32).toString('base64'),
    AMQP_URL: '',
    MONGO_URL: '',
    SMTP_URL: '',
    PUBLIC_BASE_URL: base,
    B24_CLIENT_ID: app.clientId,
    B24_CLIENT_SECRET: app.clientSecret,
    B24_ALLOW_LOOPBACK: 'true',
    ROBOT_SWEEP_SECONDS: '1',
    DEFAULT_LANGUAGE: 'en',
    SIGNSERVICE_TOKENS: '',
  };
  const cli = async (...args: string[]) =>
    (await run(process.execPath, [CLI, ...args], { env, cwd: out })).stdout.trim();
  say(`SignService demo; everything goes to ${out}`);
  say(`Bitrix24 portal emulator at ${emulator.origin} (test support: a local stand-in for a real portal)`);
  const service = await startDemoService(env, port, path.join(out, 'service.log'));
  try {
    const portal = emulator.portal('portal-a.bitrix24.test');
    const installed = await emulator.installApp(portal, `${base}/b24/install`);
    if (installed.response.status !== 200) throw new Error(`install answered ${installed.response.status}`);
    const registered = portal.registrations();
    say(
      `App installed on ${portal.domain}: robot ${registered.robots.map((r) => r.code).join(', ')}, Sign button ${registered.placements.map((p) => p.placement).join(', ')}`,
    );

    await cli('ca', 'init', '--cn', 'Acme Internal CA', '--org', 'Acme Ltd', '--country', 'GB');
    const issue = async (cn: string, email: string) =>
      (await cli('ca', 'issue', '--cn', cn, '--org', 'Acme Ltd', '--email', email, '--json')).match(
        /"id":\s*"([0-9a-f]{64})"/,
      )?.[1] as string;
    const mary1 = await issue('Mary Smith', 'mary@acme.test');
    const mary2 = await issue('Mary Smith (procurement)', 'mary@acme.test');
    const peterCert = await issue('Peter Jones', 'peter@acme.test');
    await cli('ca', 'export-root', '-o', path.join(out, 'root'));
    say(
      `Internal CA created; certificates issued: Mary ×2 (${mary1.slice(0, 12)}…, ${mary2.slice(0, 12)}…), Peter (${peterCert.slice(0, 12)}…)`,
    );

    const maryUser = portal.createUser({ name: 'Mary', lastName: 'Smith', email: 'mary@acme.test' });
    const peterUser = portal.createUser({ name: 'Peter', lastName: 'Jones', email: 'peter@acme.test' });
    const people = [
      { login: 'mary', user: maryUser, certs: [mary1, mary2] },
      { login: 'peter', user: peterUser, certs: [peterCert] },
    ];
    const authenticators: Record<string, Awaited<ReturnType<typeof enrollLikeFreeOtp>>> = {};
    for (const p of people) {
      await cli(
        'account',
        'add',
        p.login,
        '--email',
        p.user.email,
        '--description',
        `${p.user.name} ${p.user.lastName}`,
        '--portal',
        portal.memberId,
        '--bitrix-user',
        String(p.user.id),
      );
      const link = /(http\S+\/enroll\/\S+)/.exec(await cli('account', 'enroll-link', p.login))?.[1] as string;
      authenticators[p.login] = await enrollLikeFreeOtp(link);
      for (const [i, cert] of p.certs.entries())
        await cli('account', 'grant', p.login, cert, ...(i === 0 ? ['--default'] : []));
      say(
        `Account '${p.login}' created for Bitrix24 user ${p.user.id}, enrolled (FreeOTP-style codes), ${p.certs.length} certificate(s) granted`,
      );
    }

    portal.addFileField(FIELD, { multiple: false, label: 'Contract' });
    const deal = portal.createDeal({
      title: 'Supply contract #42',
      files: { [FIELD]: [{ name: 'contract.pdf', bytes: await samplePdf() }] },
    });
    say(`Deal ${deal.id} "Supply contract #42" holds contract.pdf in ${FIELD}`);

    const opened = await emulator.openPlacement(portal, 'CRM_DEAL_DETAIL_TOOLBAR', maryUser.id, { dealId: deal.id });
    const dialog = readDialogPage(opened.response.body);
    say(
      `Mary clicks Sign: the dialog offers ${dialog.files.length} file(s) and ${dialog.certificates.length} certificates`,
    );
    const [fieldCode, fileId] = (dialog.files[0] as string).split(':');
    const t0 = Date.now();
    const signed = await signFromDialog(base, dialog, {
      fieldCode,
      fileId,
      certId: mary1,
      otp: authenticators.mary!.code(),
      visible: true,
      page: 'last',
      position: 'bottom-right',
    });
    if (signed.state !== 'completed')
      throw new Error(`Mary's signature ended ${signed.state}: ${JSON.stringify(signed.failure)}`);
    say(
      `Mary's signature: ${signed.state} in ${Date.now() - t0} ms; timeline: "${portal.timeline(deal.id).at(-1)?.comment.split('\n')[0]}"`,
    );

    const step = await emulator.runRobot(portal, ROBOT_CODE, {
      dealId: deal.id,
      properties: {
        signer: `user_${peterUser.id}`,
        file_field: FIELD,
        page: 'first',
        position: 'bottom-left',
        message: 'Please countersign',
        deadline_hours: '24',
      },
    });
    say(`Workflow reaches "Approve & sign PDF" for Peter (handler answered ${step.response.status})`);
    const mail = await waitForMail(path.join(dataDir, 'outbox'), 'peter@acme.test');
    const link = /(http:\/\/127\.0\.0\.1:\d+\/b24\/approve\/\S+\?lang=(?:en|ru))/.exec(mail.text)?.[1] as string;
    say(`Peter's e-mail "${mail.subject}" carries the approval link`);
    await approveOnPage(link, authenticators.peter!.code());
    const closed = await waitUntil(() =>
      portal.eventSendCalls().find((c) => c.eventToken === step.eventToken && c.accepted),
    );
    say(`Peter approved on the page; the workflow got Result=${closed.matchedReturnValues.Result}`);

    const final = portal.getDeal(deal.id)?.files[FIELD]?.[0];
    if (!final) throw new Error('the deal lost its file');
    const pdfFile = path.join(out, 'contract-signed-twice.pdf');
    fs.writeFileSync(pdfFile, final.bytes);
    await cli('audit', 'export', '--format', 'csv', '-o', path.join(out, 'sign-log.csv'));
    await cli('audit', 'export', '--format', 'jsonl', '-o', path.join(out, 'sign-log.jsonl'));
    const chain = await cli('audit', 'verify');
    const verdict = await verifyBoth(pdfFile, CLI, path.join(out, 'root', 'root.pem'));
    for (const line of verdict.lines) say(line);
    say(`Sign log: ${chain}`);
    process.stdout.write(
      `\nLook at ${out}:\n  contract-signed-twice.pdf   the deal's PDF, signed by Mary and Peter (open it in a PDF reader)\n  sign-log.csv, sign-log.jsonl the sign log export (who signed what, with which certificate, OTP used)\n  data/outbox/*.eml           the e-mails the service sent\n  root/                       the internal CA's root and how to trust it\n  service.log                 the service's log\n`,
    );
    return verdict.ok ? 0 : 1;
  } finally {
    await service.close();
    await emulator.close();
  }
}

async function waitUntil<T>(probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${(error as Error)?.stack ?? error}\n`);
    process.exit(1);
  },
);
