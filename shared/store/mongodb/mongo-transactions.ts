/**
 * `Store.transaction` on MongoDB: a multi-document transaction (`ClientSession.withTransaction`, majority
 * and journaled) when the deployment supports one — a replica set or a sharded cluster, as docker-compose
 * runs it — and, on a standalone server, which has none, the work runs as it did before: one write after the
 * other, each atomic on its own (a crash between two can leave the first without the second; README says
 * so). Repositories find the open transaction's session through `options()`, which every operation spreads
 * into its driver options; outside a transaction it adds nothing.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { type ClientSession, type Db, type MongoClient, MongoError } from 'mongodb';
import { AppError } from '../../errors.js';
import { mongoError } from './mongo-errors.js';

/** Labels under which the driver retries a transaction (or its commit) by itself. */
const RETRYABLE_LABELS = ['TransientTransactionError', 'UnknownTransactionCommitResult'];

/** True when the server is a replica set member or a mongos: deployments with multi-document transactions. */
export async function supportsTransactions(db: Db): Promise<boolean> {
  const hello = await db.admin().command({ hello: 1 });
  return typeof hello.setName === 'string' || hello.msg === 'isdbgrid';
}

/** The driver error an AppError wraps, when the driver would retry the transaction for it. */
function retryableCause(error: unknown): unknown {
  const cause = error instanceof AppError ? error.cause : error;
  return cause instanceof MongoError && RETRYABLE_LABELS.some((l) => cause.hasErrorLabel(l)) ? cause : error;
}

export class MongoTransactions {
  private readonly context = new AsyncLocalStorage<ClientSession>();

  /** @param supported whether the deployment has transactions (supportsTransactions at connect) */
  constructor(
    private readonly client: MongoClient,
    readonly supported: boolean,
  ) {}

  /** `{ session }` inside a transaction, `{}` outside: spread into every operation's options. */
  options(): { session?: ClientSession } {
    const session = this.context.getStore();
    return session ? { session } : {};
  }

  /** Runs `work` in one transaction (joining the open one when nested); retried by the driver on transient conflicts. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.context.getStore() || !this.supported) return work();
    try {
      return await this.client.withSession((session) =>
        session.withTransaction(
          async () => {
            try {
              return await this.context.run(session, work);
            } catch (error) {
              // Hand the driver its own error back, so it can tell a write conflict (retry) from a real failure.
              throw retryableCause(error);
            }
          },
          { writeConcern: { w: 'majority', journal: true }, readConcern: { level: 'snapshot' } },
        ),
      );
    } catch (error) {
      throw mongoError(error, 'a store transaction failed');
    }
  }
}
