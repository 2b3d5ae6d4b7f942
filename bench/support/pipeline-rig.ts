/**
 * The installation the pipeline benchmark runs against, built in a temporary directory: a SoftHSM2 token
 * with one RSA-2048 key, the embedded store (shared by every process), the machine's RabbitMQ under a name
 * prefix of this run, N worker processes that all hold the token, a signer account granted the token's
 * certificate, and a submit function that goes through the service API. `close()` takes it all down
 * again, queues and exchanges of the prefix included.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateMasterKeyBytes, MasterKey } from '../../shared/crypto/master-key.js';
import { AmqpJobQueue } from '../../shared/queue/amqp/amqp-queue.js';
import { storeKeysFor } from '../../shared/store/create-store.js';
import { openEmbeddedStore } from '../../shared/store/embedded/embedded-store.js';
import type { Store } from '../../shared/store/store-ports.js';
import { inProcessSubmitter, type Submitted } from '../../test/pipeline/in-process-submitter.js';
import { addSigner, certificateId } from '../../test/pipeline/pipeline-fixture.js';
import { deleteByPrefix, RABBITMQ_URL } from '../../test/queue/support/rabbitmq.js';
import { createSoftHsmToken, type SoftHsmToken } from '../../test/support/softhsm.js';
import { type FleetWorker, startWorkers } from './worker-fleet.js';

export interface PipelineRig {
  readonly dir: string;
  readonly prefix: string;
  readonly token: SoftHsmToken;
  readonly store: Store;
  readonly workers: FleetWorker[];
  /** Submits one request to sign `inputPath` into the run's output directory, named `<tag>-<i>-signed.pdf`. */
  submit(tag: string, i: number): Promise<Submitted>;
  /** Stops the workers (they write their CPU profiles then, with --cpu-prof). */
  stopWorkers(): Promise<void>;
  /** Stops the workers and starts fresh ones in their place (`workers` then lists the new ones). */
  restartWorkers(): Promise<void>;
  close(options: { keep: boolean }): Promise<void>;
}

export interface RigOptions {
  workers: number;
  prefetch: number;
  inputPath: string;
  /** Extra `node` options for the workers, e.g. --cpu-prof. */
  nodeArgs: (dir: string) => string[];
}

/** Builds the rig; the token is made first, so the caller can time the engine with its key meanwhile. */
export async function openPipelineRig(options: RigOptions): Promise<PipelineRig> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'signservice-bench-pipeline-'));
  const prefix = `signservice-bench-${randomBytes(4).toString('hex')}`;
  const token = await createSoftHsmToken({
    label: 'BenchToken',
    pin: '1357',
    identities: [{ id: '01', keyType: 'rsa2048', cn: 'Bench Signer' }],
  });
  writeFileSync(path.join(dir, 'token.pin'), `${token.pin}\n`, { mode: 0o600 });
  const keyBytes = generateMasterKeyBytes();
  const dataDir = path.join(dir, 'data');
  const outDir = path.join(dir, 'out');
  mkdirSync(outDir, { recursive: true });
  const store = await openEmbeddedStore(
    path.join(dataDir, 'signservice.sqlite'),
    storeKeysFor(MasterKey.fromBytes(keyBytes)),
  );
  const queue = new AmqpJobQueue({ url: RABBITMQ_URL, namePrefix: prefix, connectionName: 'bench-pipeline' });
  const env = {
    SIGNSERVICE_DATA_DIR: dataDir,
    AMQP_URL: RABBITMQ_URL,
    AMQP_PREFIX: prefix,
    MONGO_URL: '',
    SIGNSERVICE_MASTER_KEY: keyBytes.toString('base64'),
    SIGNSERVICE_TOKENS: JSON.stringify([
      { label: token.label, module: token.modulePath, pinFile: path.join(dir, 'token.pin') },
    ]),
    SOFTHSM2_CONF: token.conf,
    WORKER_PREFETCH: String(options.prefetch),
    LOG_LEVEL: 'info',
  };
  const workers: FleetWorker[] = [];
  const close = async ({ keep }: { keep: boolean }) => {
    await Promise.all(workers.map((w) => w.stop()));
    await queue.close();
    await store.close();
    await deleteByPrefix(prefix).catch(() => undefined);
    await token.cleanup();
    if (!keep) rmSync(dir, { recursive: true, force: true });
  };
  try {
    workers.push(...(await startWorkers(options.workers, env, dir, options.nodeArgs(dir))));
    const masterKey = MasterKey.fromBytes(keyBytes);
    const certId = certificateId(token.identities[0]!.certDer);
    const signer = await addSigner(store, masterKey, { login: 'bench', certId, otpDisabled: true });
    const submit = inProcessSubmitter({ dataDir, store, queue, masterKey });
    return {
      dir,
      prefix,
      token,
      store,
      workers,
      submit: (tag, i) =>
        submit({
          signer,
          certId,
          inputPath: options.inputPath,
          outputPath: path.join(outDir, `${tag}-${i}-signed.pdf`),
        }),
      stopWorkers: async () => void (await Promise.all(workers.map((w) => w.stop()))),
      async restartWorkers() {
        await Promise.all(workers.map((w) => w.stop()));
        workers.length = 0;
        workers.push(...(await startWorkers(options.workers, env, dir, options.nodeArgs(dir))));
      },
      close,
    };
  } catch (error) {
    await close({ keep: false });
    throw error;
  }
}
