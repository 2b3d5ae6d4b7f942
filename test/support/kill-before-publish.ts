/**
 * Preloaded into a real `signservice` CLI process (`node --import <this> main.js request submit …`) by the
 * recovery test: the moment the process is about to put a job into the embedded queue — the request is
 * stored already — it SIGKILLs itself, exactly as an operator's Ctrl+\ or the OOM killer would at the worst
 * moment. Nothing else of the CLI changes.
 */
import { EmbeddedJobQueue } from '../../shared/queue/embedded/embedded-queue.js';

EmbeddedJobQueue.prototype.publishRaw = async () => {
  process.kill(process.pid, 'SIGKILL');
  await new Promise(() => {});
};
