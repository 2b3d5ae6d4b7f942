/**
 * A worker process for the embedded queue tests (not a test file). Argument: JSON
 * `{ file, route, mode: 'hang' | 'work', leaseMs, workMs }`. It consumes the route and reports on stdout,
 * one JSON line per event: `ready`, then `leased <id>` (hang: the handler never returns, the parent
 * SIGKILLs us) or `handled <id>` (work). SIGTERM closes the consumer gracefully and reports `closed`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { EmbeddedJobQueue } from '../../../shared/queue/embedded/embedded-queue.js';

interface ChildArgs {
  file: string;
  route: string;
  mode: 'hang' | 'work';
  leaseMs: number;
  workMs: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as ChildArgs;
const say = (event: string, messageId?: string): void => {
  process.stdout.write(`${JSON.stringify({ event, messageId, pid: process.pid })}\n`);
};

const queue = new EmbeddedJobQueue({ file: args.file, leaseMs: args.leaseMs, pollMs: 20 });
const consumer = await queue.consume(
  [args.route],
  async (job) => {
    if (args.mode === 'hang') {
      say('leased', job.messageId);
      await new Promise(() => {});
    }
    await sleep(args.workMs);
    say('handled', job.messageId);
  },
  { prefetch: 4 },
);
process.once('SIGTERM', () => {
  void (async () => {
    await consumer.close();
    await queue.close();
    say('closed');
    process.exit(0);
  })();
});
say('ready');
