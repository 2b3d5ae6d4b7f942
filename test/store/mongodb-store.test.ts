/**
 * The MongoDB store. The contract suite needs a server: it runs when MONGO_URL is set (each test on its
 * own database, dropped afterwards). No MongoDB server can be installed on the development machines, so
 * without MONGO_URL it is registered as one pending test that says so. What needs no server runs always:
 * the connection error (host named, password never shown) and the document mapping through real BSON.
 * Old-format sign log entries for the upgrade tests are written with the driver, past the adapter.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { BSON, MongoClient } from 'mongodb';
import { signLogEntryHash } from '../../shared/audit/sign-log-chain.js';
import { SignLogKey } from '../../shared/audit/sign-log-key.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { storeKeysFor } from '../../shared/store/create-store.js';
import {
  accountUpdatePipeline,
  fromAccountDocument,
  toAccountDocument,
} from '../../shared/store/mongodb/mongo-account-repository.js';
import { scrubPassword } from '../../shared/store/mongodb/mongo-errors.js';
import { fromSignLogDocument, toSignLogDocument } from '../../shared/store/mongodb/mongo-sign-log-repository.js';
import {
  fromSignRequestDocument,
  toSignRequestDocument,
} from '../../shared/store/mongodb/mongo-sign-request-repository.js';
import { openMongoStore } from '../../shared/store/mongodb/mongo-store.js';
import { nextSignLogEntry } from '../../shared/store/next-sign-log-entry.js';
import type { Store } from '../../shared/store/store-ports.js';
import { makeSignRequest } from './sign-request-contract.js';
import { describeStoreContract } from './store-contract.js';
import { enrolled, logInput, makeAccount, randomMasterKey } from './store-fixtures.js';

/** A BSON round trip, as the driver serialises with ignoreUndefined and deserialises with its defaults. */
function throughBson<T>(doc: T): T {
  return BSON.deserialize(BSON.serialize(doc as BSON.Document, { ignoreUndefined: true })) as T;
}

describe('MongoDB store', function () {
  this.timeout(120_000);
  const url = process.env.MONGO_URL;

  if (url) {
    const databases: string[] = [];
    after(async () => {
      const client = new MongoClient(url);
      try {
        for (const name of databases) await client.db(name).dropDatabase();
      } finally {
        await client.close();
      }
    });
    const databaseOf = new WeakMap<Store, string>();
    describeStoreContract('MongoDB', {
      async open(keys) {
        const name = `signservice_test_${crypto.randomBytes(6).toString('hex')}`;
        databases.push(name);
        const store = await openMongoStore(url, name, keys);
        databaseOf.set(store, name);
        return store;
      },
      async writeLegacyEntries(store, entries) {
        const client = new MongoClient(url);
        try {
          await client
            .db(databaseOf.get(store))
            .collection('sign_log')
            .insertMany(entries.map((e) => ({ ...e })));
        } finally {
          await client.close();
        }
      },
      async reopen(store, keys) {
        return openMongoStore(url, databaseOf.get(store) as string, keys);
      },
    });
  } else {
    it('MongoDB contract suite not run: MONGO_URL is not set');
  }

  it('an unreachable server: STORE_UNAVAILABLE naming the host, never the password', async () => {
    const password = 'pa55-w0rd-never-shown';
    const target = `mongodb://operator:${password}@127.0.0.1:9/?serverSelectionTimeoutMS=300&connectTimeoutMS=300`;
    const error = await openMongoStore(target, 'signservice', storeKeysFor(randomMasterKey())).then(
      () => assert.fail('connected to a closed port'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof AppError, String(error));
    assert.equal(error.code, ErrorCode.STORE_UNAVAILABLE);
    assert.match(error.message, /Cannot use MongoDB at 127\.0\.0\.1:9 \(database 'signservice'\)/);
    assert.doesNotMatch(`${error.message} ${JSON.stringify(error.details ?? {})}`, new RegExp(password));
    assert.equal(error.cause, undefined, 'no driver object (which may hold the options) rides along');
  });

  it('a malformed connection string: CONFIG_INVALID without the password', async () => {
    const error = await openMongoStore('mongodb://user:s3cret-value@', 'x', storeKeysFor(randomMasterKey())).then(
      () => assert.fail('accepted a connection string without a host'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof AppError, String(error));
    assert.equal(error.code, ErrorCode.CONFIG_INVALID);
    assert.doesNotMatch(error.message, /s3cret-value/);
  });

  it('scrubs raw and percent-encoded passwords, including ones with "@"', () => {
    const url = 'mongodb://u:p%40ss@w0rd@db1:27017,db2:27017/x?authSource=admin';
    assert.equal(scrubPassword('auth failed for p%40ss@w0rd and p@ss@w0rd', url), 'auth failed for *** and ***');
  });

  it('an account survives the BSON round trip; absent values are stored as null and read back as undefined', () => {
    const full = enrolled(9, {
      email: 'A@b.org',
      bitrix: { memberId: 'm', userId: 3 },
      lockout: { failures: [new Date('2025-03-01T10:00:00.5Z')], lockedUntil: new Date('2025-03-01T10:15:00Z') },
    });
    const bare = makeAccount();
    for (const account of [full, bare]) {
      const doc = throughBson(toAccountDocument(account));
      assert.deepEqual(fromAccountDocument(doc), account);
    }
    // A document written before accounts had a portal reads as belonging to its link's portal.
    const { memberId: _absent, ...legacy } = toAccountDocument(full);
    assert.equal(fromAccountDocument(throughBson(legacy)).memberId, 'm');
    const bareDoc = toAccountDocument(bare);
    assert.equal(bareDoc.memberId, null);
    assert.equal(bareDoc.email, null);
    assert.equal(bareDoc.otp, null);
    assert.equal(bareDoc.loginLower, bare.login.toLowerCase());
  });

  it('the update pipeline passes values as $literal and never lowers otp.lastStep', () => {
    const account = enrolled(40, { description: '$where: not a field path' });
    const [stage] = accountUpdatePipeline(account);
    const set = (stage as { $set: Record<string, unknown> }).$set;
    assert.deepEqual(set.description, { $literal: '$where: not a field path' });
    assert.equal('_id' in set || 'createdAt' in set, false, 'id and createdAt are not replaced');
    assert.deepEqual(set.otp, {
      $mergeObjects: [
        { $literal: toAccountDocument(account).otp },
        { lastStep: { $max: [{ $literal: 40 }, '$otp.lastStep'] } },
      ],
    });
    const cleared = accountUpdatePipeline({ ...account, otp: undefined })[0] as { $set: Record<string, unknown> };
    assert.deepEqual(cleared.$set.otp, { $literal: null });
  });

  it('a sign log entry survives the BSON round trip with its hash and MAC intact', () => {
    const key = SignLogKey.fromMasterKey(randomMasterKey());
    const entry = nextSignLogEntry(
      logInput(new Date('2025-03-01T12:00:00.123Z'), {
        document: { fileName: 'Договор.pdf', sha256Before: 'ab' },
        details: { pages: 3, ratio: 0.5, big: 2 ** 40, visible: false },
      }),
      { seq: 41, hash: 'c'.repeat(64), mac: 'd'.repeat(64) },
      key,
    );
    const back = fromSignLogDocument(throughBson({ ...toSignLogDocument(entry), _id: new BSON.ObjectId() }));
    assert.deepEqual(back, entry);
    assert.equal(signLogEntryHash(back), entry.hash);
    assert.equal(key.verify({ seq: 42, hash: back.hash, prevMac: 'd'.repeat(64) }, back.mac), true);
    const nulled = fromSignLogDocument(throughBson({ ...toSignLogDocument(entry), mac: null as unknown as string }));
    assert.equal('mac' in nulled, false, 'a hand-edited null MAC reads as no MAC');
    const deduped = fromSignLogDocument(throughBson({ ...toSignLogDocument(entry), dedupeKey: 'signed:r1' }));
    assert.deepEqual(deduped, entry, 'the dedupe key of appendOnce is not part of the entry');
  });

  it('a sign request survives the BSON round trip', () => {
    const request = makeSignRequest({
      deadline: new Date('2025-03-02T10:00:00.5Z'),
      steps: {
        authorize: { at: new Date('2025-03-01T10:00:00.1Z'), data: { otp: 'used' } },
        sign: { at: new Date('2025-03-01T10:00:02.2Z'), data: { sha256: 'bb', bytes: 2 ** 40, visible: true } },
      },
    });
    const doc = toSignRequestDocument(request);
    assert.equal(doc._id, request.id);
    assert.deepEqual(fromSignRequestDocument(throughBson(doc)), request);
  });
});
