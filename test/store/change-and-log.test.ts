/**
 * A change that is logged is stored together with its sign log entry or not at all: when the entry cannot
 * be written (here the sign log's append fails as on a full disk), the account change is not stored either,
 * and the caller gets the error. Real embedded store; only the log's append is made to fail.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAccountService } from '../../shared/accounts/account-service.js';
import { generateMasterKeyBytes, MasterKey } from '../../shared/crypto/master-key.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { storeKeysFor } from '../../shared/store/create-store.js';
import { openEmbeddedStore } from '../../shared/store/embedded/embedded-store.js';
import type { Store } from '../../shared/store/store-ports.js';
import { allEntries } from './store-fixtures.js';

/** The store, with a sign log whose appends fail. */
function failingLog(store: Store): Store {
  const refuse = async () => {
    throw new AppError(ErrorCode.FILE_IO, 'the sign log cannot be written: SQLITE_FULL');
  };
  return { ...store, signLog: { ...store.signLog, append: refuse, appendOnce: refuse } };
}

describe('changes and their sign log entries are stored together', () => {
  let dir: string;
  let store: Store;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-change-log-'));
    const keys = storeKeysFor(MasterKey.fromBytes(generateMasterKeyBytes()));
    store = await openEmbeddedStore(path.join(dir, 'signservice.sqlite'), keys);
  });

  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('account add: no account without its account_created entry', async () => {
    const accounts = createAccountService({ store: failingLog(store) });
    await assert.rejects(
      accounts.add({ login: 'mary' }),
      (e: unknown) => e instanceof AppError && e.code === 'FILE_IO',
    );
    assert.equal(await store.accounts.getByLogin('mary'), undefined);
    assert.deepEqual(await allEntries(store), []);
    await createAccountService({ store }).add({ login: 'mary' });
    assert.deepEqual(
      (await allEntries(store)).map((e) => e.action),
      ['account_created'],
    );
  });

  it('account otp-disable: the switch is not flipped when the entry cannot be written', async () => {
    await createAccountService({ store }).add({ login: 'ivan' });
    const accounts = createAccountService({ store: failingLog(store) });
    await assert.rejects(accounts.setOtpDisabled({ login: 'ivan', disabled: true }));
    assert.equal((await store.accounts.getByLogin('ivan'))?.otpDisabled, false);
    assert.deepEqual(
      (await allEntries(store)).map((e) => e.action),
      ['account_created'],
    );
  });
});
