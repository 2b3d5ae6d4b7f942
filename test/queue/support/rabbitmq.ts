/**
 * The machine's RabbitMQ for the queue tests: `rabbitmqctl` to drop connections and stop/start the broker,
 * and a cleanup that deletes every queue and exchange of a test run's name prefix.
 */
import amqplib from 'amqplib';
import { runTool } from '../../support/run-tool.js';

export const RABBITMQ_URL = process.env.AMQP_TEST_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Runs `rabbitmqctl args...`; fails with its output when it exits non-zero. */
export async function rabbitmqctl(...args: string[]): Promise<string> {
  const run = await runTool('rabbitmqctl', args, { timeoutMs: 120_000 });
  if (run.exitCode !== 0) {
    throw new Error(`rabbitmqctl ${args.join(' ')} exited ${run.exitCode}: ${run.stderr || run.stdout}`);
  }
  return run.stdout;
}

/** Fails with a clear message unless the broker is up and accepts the test URL. */
export async function requireRabbitMq(): Promise<void> {
  try {
    await rabbitmqctl('await_startup');
    const model = await amqplib.connect(RABBITMQ_URL);
    await model.close();
  } catch (err) {
    throw new Error(
      `RabbitMQ is needed at ${RABBITMQ_URL} for the queue tests (start it with \`rabbitmq-server -detached\` ` +
        `and \`rabbitmqctl await_startup\`): ${(err as Error).message}`,
    );
  }
}

/** Makes sure the broker application runs (after a test that stopped it failed half-way). */
export async function ensureBrokerRunning(): Promise<void> {
  await rabbitmqctl('start_app');
  await rabbitmqctl('await_startup');
}

/** Deletes the queues and exchanges whose names start with `prefix`. */
export async function deleteByPrefix(prefix: string): Promise<{ queues: number; exchanges: number }> {
  const list = async (what: 'list_queues' | 'list_exchanges') =>
    (await rabbitmqctl(what, '-q', '--no-table-headers', 'name'))
      .split('\n')
      .map((line) => line.trim())
      .filter((name) => name.startsWith(`${prefix}.`));
  const queues = await list('list_queues');
  const exchanges = await list('list_exchanges');
  const model = await amqplib.connect(RABBITMQ_URL);
  try {
    const ch = await model.createChannel();
    for (const q of queues) await ch.deleteQueue(q);
    for (const e of exchanges) await ch.deleteExchange(e);
    await ch.close();
  } finally {
    await model.close();
  }
  return { queues: queues.length, exchanges: exchanges.length };
}
