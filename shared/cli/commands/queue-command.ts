/**
 * `signservice queue parked`: the jobs the queue gave up on — poison messages, jobs that kept killing their
 * worker, requests that could not be finished — with the request each was for and why it was parked. The
 * queue is the one the service uses (the embedded queue file, or RabbitMQ when AMQP_URL is set); the routes
 * are `internal` and the tokens the configuration and the data directory know, plus any `--route`.
 */
import { openQueue } from '../../process/open-queue.js';
import { knownRoutes, listParkedSignJobs, type ParkedSignJob } from '../../sign-requests/parked-sign-jobs.js';
import { invalid, parseCommandArgs } from '../cli-args.js';
import { cliConfig } from '../cli-config.js';
import { assertStoreExists } from '../cli-store.js';
import { DATA_DIR_HELP, snapshotStoreIn } from '../data-dir.js';

const HELP = `Usage: signservice queue parked [--route ROUTE]... [--json] [--data-dir DIR]

Lists the parked jobs, oldest first: when, the route, the sign request, attempts and the reason. A parked
job's request has been failed with the reason (see 'signservice request status ID').

  --route ROUTE           also look at this route (default: internal and every token the data directory knows)
  --json                  print JSON
${DATA_DIR_HELP}
  -h, --help              this help`;

const OPTIONS = {
  route: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  'data-dir': { type: 'string' },
} as const;

function table(jobs: ParkedSignJob[]): string {
  if (jobs.length === 0) return 'No parked jobs.';
  return jobs
    .map(
      (j) =>
        `${j.parkedAt.toISOString()}  ${j.route}  ${j.requestId ?? `(no request; message ${j.messageId})`}  ` +
        `attempts ${j.attempts}\n    ${j.reason}`,
    )
    .join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  const [command, extra] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${HELP}\n`);
    return values.help ? 0 : 64;
  }
  if (command !== 'parked') throw invalid(`unknown queue command '${command}'`);
  if (extra !== undefined) throw invalid(`unexpected argument '${extra}'`);
  const config = cliConfig(values['data-dir']);
  await assertStoreExists(config);
  const routes = await knownRoutes(config, snapshotStoreIn(config.dataDir), values.route ?? []);
  const queue = await openQueue(config);
  try {
    const jobs = await listParkedSignJobs(queue, routes);
    process.stdout.write(`${values.json ? JSON.stringify(jobs, null, 2) : table(jobs)}\n`);
    return 0;
  } finally {
    await queue.close();
  }
}
