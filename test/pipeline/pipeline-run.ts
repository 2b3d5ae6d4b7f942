/**
 * One test run of the pipeline with service child processes: a temporary data directory with the real
 * embedded store (which the workers open too), a master key, the queue — the machine's RabbitMQ under a
 * name prefix of its own, or the embedded queue file in the data directory — and the environment that
 * points a worker or `npm start` process at all of it. The test process keeps its own handles on the store
 * and the queue, to submit requests, publish raw messages and look at the results. `close()` removes
 * everything: the queues and exchanges of the prefix, the directory, the tokens made through it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateMasterKeyBytes, MasterKey } from '../../shared/crypto/master-key.js';
import { AmqpJobQueue } from '../../shared/queue/amqp/amqp-queue.js';
import { EmbeddedJobQueue } from '../../shared/queue/embedded/embedded-queue.js';
import { storeKeysFor } from '../../shared/store/create-store.js';
import { openEmbeddedStore } from '../../shared/store/embedded/embedded-store.js';
import type { Store } from '../../shared/store/store-ports.js';
import { deleteByPrefix, RABBITMQ_URL, requireRabbitMq } from '../queue/support/rabbitmq.js';
import { createSoftHsmToken, type SoftHsmIdentitySpec, type SoftHsmToken } from '../support/softhsm.js';

/** Which queue the run uses. */
export type QueueKind = 'amqp' | 'embedded';

export interface PipelineRun {
  readonly kind: QueueKind;
  readonly dir: string;
  readonly dataDir: string;
  /** RabbitMQ only: the AMQP_PREFIX of this run (`signservice-<name>-<random>`). */
  readonly prefix: string | undefined;
  /** The environment every service process and CLI run of this test gets (no tokens). */
  readonly env: NodeJS.ProcessEnv;
  readonly store: Store;
  readonly masterKey: MasterKey;
  /** The test's own handle on the run's queue (publishRaw for hand-made messages). */
  readonly queue: AmqpJobQueue | EmbeddedJobQueue;
  /** Makes a SoftHSM2 token (own directory and softhsm2.conf) and writes its PIN file; removed by close(). */
  addToken(label: string, identities: SoftHsmIdentitySpec[]): Promise<SoftHsmToken>;
  /** The environment of a worker that holds exactly these tokens (one softhsm2.conf: tokens of one run dir). */
  workerEnv(token?: SoftHsmToken, extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/**
 * Opens a run. For RabbitMQ it first checks that the broker is up (a clear failure, never a skip).
 * @param name a short word for the directory and the AMQP prefix, e.g. 'crash'
 * @param options.dataDir a data directory of the caller's (e.g. on a small file system) instead of `<dir>/data`
 */
export async function openPipelineRun(
  kind: QueueKind,
  name: string,
  options: { dataDir?: string } = {},
): Promise<PipelineRun> {
  if (kind === 'amqp') await requireRabbitMq();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `signservice-${name}-`));
  const dataDir = options.dataDir ?? path.join(dir, 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  const keyBytes = generateMasterKeyBytes();
  const prefix = kind === 'amqp' ? `signservice-${name}-${crypto.randomBytes(4).toString('hex')}` : undefined;
  const env: NodeJS.ProcessEnv = {
    SIGNSERVICE_DATA_DIR: dataDir,
    AMQP_URL: kind === 'amqp' ? RABBITMQ_URL : '',
    ...(prefix ? { AMQP_PREFIX: prefix } : {}),
    MONGO_URL: '',
    SIGNSERVICE_MASTER_KEY: keyBytes.toString('base64'),
    SIGNSERVICE_TOKENS: '[]',
    LOG_LEVEL: 'info',
  };
  const store = await openEmbeddedStore(
    path.join(dataDir, 'signservice.sqlite'),
    storeKeysFor(MasterKey.fromBytes(keyBytes)),
  );
  const queue =
    kind === 'amqp'
      ? new AmqpJobQueue({ url: RABBITMQ_URL, namePrefix: prefix as string, connectionName: `test-${name}` })
      : new EmbeddedJobQueue({ file: path.join(dataDir, 'queue.sqlite') });
  const tokens: SoftHsmToken[] = [];
  return {
    kind,
    dir,
    dataDir,
    prefix,
    env,
    store,
    masterKey: MasterKey.fromBytes(keyBytes),
    queue,
    async addToken(label, identities) {
      const token = await createSoftHsmToken({ label, pin: '246810', identities });
      tokens.push(token);
      fs.writeFileSync(path.join(dir, `${label}.pin`), `${token.pin}\n`, { mode: 0o600 });
      return token;
    },
    workerEnv(token, extra = {}) {
      const served = token
        ? [{ label: token.label, module: token.modulePath, pinFile: path.join(dir, `${token.label}.pin`) }]
        : [];
      return {
        ...env,
        SIGNSERVICE_TOKENS: JSON.stringify(served),
        ...(token ? { SOFTHSM2_CONF: token.conf } : {}),
        ...extra,
      };
    },
    async close() {
      await queue.close().catch(() => undefined);
      await store.close().catch(() => undefined);
      if (prefix) await deleteByPrefix(prefix).catch(() => undefined);
      for (const token of tokens) await token.cleanup().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
