/**
 * The transaction part of the store contract: `Store.transaction` stores every write of its work together
 * or none of them, nested calls join the open transaction, and a write another caller makes meanwhile is
 * neither lost nor rolled back with it. (MongoDB needs a replica set for this; docker-compose runs one.)
 */
import assert from 'node:assert/strict';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { allEntries, logInput, makeAccount, type StoreFixture } from './store-fixtures.js';

export function describeTransactionContract(fx: StoreFixture): void {
  describe('transactions', () => {
    it('stores a change and its sign log entry together', async () => {
      const account = makeAccount();
      const entry = await fx.store.transaction(async () => {
        await fx.store.accounts.create(account);
        return fx.store.signLog.append(logInput(new Date(), { action: 'account_created' }));
      });
      assert.equal(entry.seq, 1);
      assert.deepEqual(await fx.store.accounts.get(account.id), account);
      assert.deepEqual(
        (await allEntries(fx.store)).map((e) => e.action),
        ['account_created'],
      );
    });

    it('stores none of the writes when the work throws, and passes the error on', async () => {
      const account = makeAccount();
      const failure = new AppError(ErrorCode.INVALID_ARGUMENT, 'changed my mind');
      await assert.rejects(
        fx.store.transaction(async () => {
          await fx.store.accounts.create(account);
          await fx.store.signLog.append(logInput(new Date(), { action: 'account_created' }));
          await fx.store.transaction(async () => fx.store.signLog.appendOnce(logInput(new Date()), 'nested:1'));
          throw failure;
        }),
        (e: unknown) => e === failure,
      );
      assert.equal(await fx.store.accounts.get(account.id), undefined);
      assert.deepEqual(await allEntries(fx.store), []);
      const after = await fx.store.signLog.append(logInput(new Date()));
      assert.equal(after.seq, 1, 'the chain goes on from where it was');
    });

    it('transactions started in the same tick run one after another, each stored whole', async () => {
      const accounts = [makeAccount(), makeAccount(), makeAccount()];
      const entries = await Promise.all(
        accounts.map((account) =>
          fx.store.transaction(async () => {
            await fx.store.accounts.create(account);
            await new Promise((resolve) => setTimeout(resolve, 5));
            return fx.store.signLog.append(logInput(new Date(), { action: 'account_created' }));
          }),
        ),
      );
      assert.deepEqual(entries.map((e) => e.seq).sort(), [1, 2, 3]);
      for (const account of accounts) assert.deepEqual(await fx.store.accounts.get(account.id), account);
    });

    it('a write by another caller while a transaction is open survives its rollback', async () => {
      const inside = makeAccount();
      const outside = makeAccount();
      let entered: () => void = () => {};
      const open = new Promise<void>((resolve) => {
        entered = resolve;
      });
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const transaction = fx.store.transaction(async () => {
        await fx.store.accounts.create(inside);
        entered();
        await held;
        throw new Error('roll back');
      });
      await open;
      const other = fx.store.accounts.create(outside);
      release();
      await assert.rejects(transaction, /roll back/);
      await other;
      assert.equal(await fx.store.accounts.get(inside.id), undefined);
      assert.deepEqual(await fx.store.accounts.get(outside.id), outside);
    });
  });
}
