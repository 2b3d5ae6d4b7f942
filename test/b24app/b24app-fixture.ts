/**
 * The whole Bitrix24 path as an administrator runs it: the portal emulator (one mass-market app key for all
 * its portals), a SoftHSM2 token with a valid and an expired certificate, the machine's RabbitMQ (its own
 * name prefix), and the service itself as a child process (`node dist/activity/main.js --worker`: the HTTP
 * app and a worker sharing one Bitrix24 client). The test process opens the same embedded store to prepare
 * signer accounts and to approve requests through the service API (`approveSignRequest`), as the approval
 * page and `signservice request approve` do.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { snapshotStoreIn } from '../../shared/cli/data-dir.js';
import { type Config, loadConfig } from '../../shared/config.js';
import { generateMasterKeyBytes, MasterKey } from '../../shared/crypto/master-key.js';
import type { SignRequest } from '../../shared/domain/sign-request.js';
import { createOtpAuthorizer } from '../../shared/otp/otp-authorizer.js';
import { createTotpVerifier } from '../../shared/otp/verify-totp.js';
import { openQueue } from '../../shared/process/open-queue.js';
import type { JobQueue } from '../../shared/queue/queue-port.js';
import { approveSignRequest } from '../../shared/sign-requests/approve-sign-request.js';
import { robotRequestId } from '../../shared/sign-requests/receive-robot-call.js';
import { createCertificateKeySource } from '../../shared/signing/certificate-key-source.js';
import { storeKeysFor } from '../../shared/store/create-store.js';
import { openEmbeddedStore } from '../../shared/store/embedded/embedded-store.js';
import type { Store } from '../../shared/store/store-ports.js';
import { addSigner, certificateId, type TestSigner } from '../pipeline/pipeline-fixture.js';
import { deleteByPrefix, RABBITMQ_URL, requireRabbitMq } from '../queue/support/rabbitmq.js';
import {
  type PortalEmulator,
  type PortalEmulatorOptions,
  type PortalHandle,
  type RobotRun,
  startPortalEmulator,
} from '../support/bitrix24-emulator/index.js';
import { freePort, type ServiceProcess, startServiceProcess } from '../support/service-process.js';
import { createSoftHsmToken, type SoftHsmIdentitySpec, type SoftHsmToken } from '../support/softhsm.js';
import { pdfsig } from '../support/verifiers.js';

export { ACTIVITY_CODE, ROBOT_CODE } from '../../shared/bitrix24/robot-definition.js';

/** The app key every emulated portal accepts (a mass-market app). */
const APP = { clientId: 'app.signservice.test', clientSecret: crypto.randomBytes(24).toString('hex') };
export const PDF_FIELD = 'UF_CRM_CONTRACT_PDF';

export interface FixtureOptions {
  emulator?: PortalEmulatorOptions;
  /** Extra service environment (e.g. WORKER_PREFETCH). */
  env?: NodeJS.ProcessEnv;
  /** Arguments of the service process. @default ['--worker'] (HTTP app and a worker); ['--no-worker']: HTTP only */
  args?: string[];
  /**
   * Host name of PUBLIC_BASE_URL. `localhost` puts the app on another site than the emulated portal
   * (127.0.0.1), so its frame is a third-party frame as in Bitrix24. @default '127.0.0.1'
   */
  publicHost?: string;
  /** More identities on the token, after the three every fixture has (their ids: `extraCertIds`). */
  extraIdentities?: SoftHsmIdentitySpec[];
}

/**
 * A robot request as the worker leaves it once the portal confirmed the call: waiting for its signer, no
 * notice sent yet. `key` makes the event token (and so the id) unique.
 */
export function waitingRobotRequest(
  portal: PortalHandle,
  signer: { accountId: string; userId: number },
  dealId: number,
  times: { createdAt: Date; deadline: Date; key: string },
): SignRequest {
  const id = robotRequestId(portal.memberId, `test-token-${times.key}`);
  return {
    id,
    state: 'awaiting_signer',
    version: 1,
    accountId: signer.accountId,
    certId: '',
    route: '',
    document: {
      kind: 'bitrix24',
      memberId: portal.memberId,
      entityTypeId: 2,
      entityId: dealId,
      fieldCode: PDF_FIELD,
      fileId: '',
    },
    placement: { page: 'last', position: 'bottom-right', visible: true },
    otpRequired: true,
    steps: {},
    deadline: times.deadline,
    robot: {
      memberId: portal.memberId,
      code: 'x',
      workflowId: `wf-${id.slice(0, 8)}`,
      eventToken: 'never-sent',
      signerUserId: signer.userId,
    },
    createdAt: times.createdAt,
    updatedAt: times.createdAt,
  };
}

/** A signer: the Bitrix24 user and the linked account. */
export interface PortalSigner extends TestSigner {
  userId: number;
}

export class B24AppFixture {
  dir = '';
  dataDir = '';
  env: NodeJS.ProcessEnv = {};
  config!: Config;
  store!: Store;
  masterKey!: MasterKey;
  token!: SoftHsmToken;
  emulator!: PortalEmulator;
  service: ServiceProcess | undefined;
  queue!: JobQueue;
  certId = '';
  /** A second signer certificate on the token (an ECDSA P-256 key). */
  secondCertId = '';
  expiredCertId = '';
  /** The inventory ids of `FixtureOptions.extraIdentities`, in their order. */
  extraCertIds: string[] = [];
  readonly prefix = `signservice-b24app-${crypto.randomBytes(4).toString('hex')}`;

  async start(options: FixtureOptions = {}): Promise<void> {
    await requireRabbitMq();
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-b24app-'));
    this.dataDir = path.join(this.dir, 'data');
    const label = `B24${crypto.randomBytes(3).toString('hex')}`;
    this.token = await createSoftHsmToken({
      label,
      pin: '135790',
      identities: [
        { id: 'a1', keyType: 'rsa2048', cn: 'Mary Robot Signer' },
        { id: 'b1', keyType: 'ecP256', cn: 'Ivan Robot Signer' },
        { id: 'e1', keyType: 'rsa2048', cn: 'Expired Signer', expired: true },
        ...(options.extraIdentities ?? []),
      ],
    });
    this.extraCertIds = this.token.identities.slice(3).map((i) => certificateId(i.certDer));
    this.certId = certificateId(this.token.identities[0]!.certDer);
    this.secondCertId = certificateId(this.token.identities[1]!.certDer);
    this.expiredCertId = certificateId(this.token.identities[2]!.certDer);
    const pinFile = path.join(this.dir, 'token.pin');
    fs.writeFileSync(pinFile, `${this.token.pin}\n`, { mode: 0o600 });
    this.emulator = await startPortalEmulator({ app: APP, timeoutHoldMs: 4000, ...options.emulator });
    const port = await freePort();
    const keyBytes = generateMasterKeyBytes();
    this.masterKey = MasterKey.fromBytes(keyBytes);
    this.env = {
      SIGNSERVICE_DATA_DIR: this.dataDir,
      AMQP_URL: RABBITMQ_URL,
      AMQP_PREFIX: this.prefix,
      MONGO_URL: '',
      SIGNSERVICE_MASTER_KEY: keyBytes.toString('base64'),
      SIGNSERVICE_TOKENS: JSON.stringify([{ label, module: this.token.modulePath, pinFile }]),
      SOFTHSM2_CONF: this.token.conf,
      PUBLIC_BASE_URL: `http://${options.publicHost ?? '127.0.0.1'}:${port}`,
      B24_CLIENT_ID: APP.clientId,
      B24_CLIENT_SECRET: APP.clientSecret,
      B24_ALLOW_LOOPBACK: 'true',
      B24_TIMEOUT_SECONDS: '2',
      ROBOT_SWEEP_SECONDS: '1',
      DEFAULT_LANGUAGE: 'en',
      LOG_LEVEL: 'info',
      ...options.env,
    };
    this.config = loadConfig({ ...this.env });
    this.store = await openEmbeddedStore(path.join(this.dataDir, 'signservice.sqlite'), storeKeysFor(this.masterKey));
    this.queue = await openQueue(this.config);
    this.service = await startServiceProcess({
      entry: 'activity',
      port,
      env: this.env,
      args: options.args ?? ['--worker'],
    });
    // A deadline for the fixture, not a start-up promise: on a machine busy with other suites a cold start
    // (module loading, store and queue checks, token probes) has taken over 30 s.
    await this.service.waitReady(90_000);
  }

  async stop(): Promise<void> {
    if (this.service) await this.service.stop('SIGTERM', 30_000).catch(() => this.service?.stop('SIGKILL'));
    await this.queue?.close().catch(() => undefined);
    await this.store?.close().catch(() => undefined);
    await this.emulator?.close();
    await deleteByPrefix(this.prefix).catch(() => undefined);
    await this.token?.cleanup();
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  get baseUrl(): string {
    return this.env.PUBLIC_BASE_URL as string;
  }

  /** Installs the app on `portal` through the no-UI install callback; asserts the app answered 200. */
  async install(portal: PortalHandle): Promise<void> {
    const result = await this.emulator.installApp(portal, `${this.baseUrl}/b24/install`);
    assert.equal(result.response.status, 200, `install answered ${result.response.status}: ${result.response.body}`);
  }

  /** A portal user with a linked, enrolled account holding a default grant of `certId`. */
  async signer(
    portal: PortalHandle,
    login: string,
    options: { certId?: string; otpDisabled?: boolean } = {},
  ): Promise<PortalSigner> {
    const user = portal.createUser({ name: login[0]!.toUpperCase() + login.slice(1), lastName: 'Tester' });
    const signer = await addSigner(this.store, this.masterKey, {
      login,
      certId: options.certId ?? this.certId,
      ...(options.otpDisabled ? { otpDisabled: true } : {}),
    });
    // Re-read: enrollment changed the account after `addSigner` created it.
    const enrolled = (await this.store.accounts.get(signer.account.id)) ?? signer.account;
    const linked = { ...enrolled, memberId: portal.memberId, bitrix: { memberId: portal.memberId, userId: user.id } };
    await this.store.accounts.update(linked);
    return { ...signer, account: linked, userId: user.id };
  }

  /** A deal holding `pdf` in the single file field UF_CRM_CONTRACT_PDF. */
  deal(portal: PortalHandle, title: string, pdf: Buffer): number {
    if (!portal.state.userFields.has(PDF_FIELD)) portal.addFileField(PDF_FIELD, { multiple: false });
    return portal.createDeal({ title, files: { [PDF_FIELD]: [{ name: `${title}.pdf`, bytes: pdf }] } }).id;
  }

  requestIdOf(portal: PortalHandle, run: RobotRun): string {
    return robotRequestId(portal.memberId, run.eventToken);
  }

  /**
   * Approves through the service API (what the approval page and `request approve` call), once the worker
   * has had the portal confirm the robot call (`received` → `awaiting_signer`).
   */
  async approve(requestId: string, signer: TestSigner, certId?: string): Promise<SignRequest> {
    await this.waitFor(requestId, (r) => r.state !== 'received');
    const verifier = createTotpVerifier({ store: this.store, masterKey: this.masterKey, settings: this.config.otp });
    const none = { tokens: [], byRoute: () => undefined, close: async () => {} };
    return approveSignRequest({
      store: this.store,
      queue: this.queue,
      keys: createCertificateKeySource({
        dataDir: this.dataDir,
        tokens: none,
        masterKey: () => this.masterKey,
        otherTokens: snapshotStoreIn(this.dataDir),
      }),
      authorizer: createOtpAuthorizer({ store: this.store, verifier }),
      requestId,
      otp: signer.nextCode(),
      ...(certId ? { certId } : {}),
      actor: { role: 'test' },
    });
  }

  /** Polls the store until the request satisfies `done` (default: a final state). */
  async waitFor(
    requestId: string,
    done: (r: SignRequest) => boolean = (r) => ['completed', 'failed', 'expired', 'rejected'].includes(r.state),
    timeoutMs = 30_000,
  ): Promise<SignRequest> {
    const deadline = Date.now() + timeoutMs;
    let last: SignRequest | undefined;
    while (Date.now() < deadline) {
      last = await this.store.signRequests.get(requestId);
      if (last && done(last)) return last;
      await sleep(100);
    }
    throw new Error(
      `request ${requestId} did not get there in ${timeoutMs} ms: ${JSON.stringify(last?.state)} ${JSON.stringify(last?.failure)}\n${this.service?.output().slice(-4000)}`,
    );
  }

  /** Polls until the workflow step of `run` is closed by an accepted `bizproc.event.send`. */
  async waitForStepClosed(portal: PortalHandle, run: RobotRun, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const send = portal.eventSendCalls().find((c) => c.eventToken === run.eventToken && c.accepted);
      if (send) return send;
      await sleep(100);
    }
    throw new Error(
      `the step of ${run.workflowId} was not finished in ${timeoutMs} ms\n${this.service?.output().slice(-4000)}`,
    );
  }

  /** pdfsig over the current file of the deal's PDF field. */
  async pdfsigOfDeal(portal: PortalHandle, dealId: number) {
    const file = portal.getDeal(dealId)?.files[PDF_FIELD]?.[0];
    assert.ok(file, `deal ${dealId} has no file in ${PDF_FIELD}`);
    const out = path.join(this.dir, `deal-${portal.domain}-${dealId}-${file.id}.pdf`);
    fs.writeFileSync(out, file.bytes);
    return { file, report: await pdfsig(out, { nssDir: this.token.nssDir }) };
  }
}
