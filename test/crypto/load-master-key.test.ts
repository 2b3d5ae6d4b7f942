/** Loading the master key from the config: environment, existing file, first-start creation. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadMasterKey } from '../../shared/crypto/load-master-key.js';
import { MasterKey } from '../../shared/crypto/master-key.js';
import { AppError, ErrorCode } from '../../shared/errors.js';

describe('loadMasterKey', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-mk-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const isInvalid = (e: unknown) => e instanceof AppError && e.code === ErrorCode.MASTER_KEY_INVALID;

  it('takes base64 from the environment value', () => {
    const value = Buffer.alloc(32, 7).toString('base64');
    assert.equal(loadMasterKey({ source: 'env', value }).keyId, MasterKey.fromBase64(value).keyId);
    assert.throws(() => loadMasterKey({ source: 'env', value: 'c2hvcnQ=' }), isInvalid);
  });

  it('creates a missing file when allowed: 32 random bytes, base64, mode 0600, with a warning', () => {
    const file = path.join(dir, 'sub', 'master.key');
    const warnings: string[] = [];
    const key = loadMasterKey({ source: 'file', file, createIfMissing: true }, { warn: (l) => warnings.push(l) });
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const text = fs.readFileSync(file, 'utf8');
    assert.equal(Buffer.from(text.trim(), 'base64').length, 32);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /created a new master key in .*master\.key.*back it up/);
    assert.ok(!warnings[0]?.includes(text.trim()), 'the warning does not print the key');
    // Second start: the same key, no warning.
    const again = loadMasterKey({ source: 'file', file, createIfMissing: true }, { warn: (l) => warnings.push(l) });
    assert.equal(again.keyId, key.keyId);
    assert.equal(warnings.length, 1);
  });

  it('refuses a missing file when creation is not allowed, and a malformed one', () => {
    const file = path.join(dir, 'master.key');
    assert.throws(
      () => loadMasterKey({ source: 'file', file, createIfMissing: false }),
      (e: unknown) => isInvalid(e) && /does not exist/.test((e as Error).message),
    );
    fs.writeFileSync(file, 'not base64 at all!', { mode: 0o600 });
    assert.throws(() => loadMasterKey({ source: 'file', file, createIfMissing: false }), isInvalid);
  });

  it('warns when the key file is readable by others', () => {
    const file = path.join(dir, 'master.key');
    fs.writeFileSync(file, Buffer.alloc(32, 1).toString('base64'), { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    const warnings: string[] = [];
    loadMasterKey({ source: 'file', file, createIfMissing: false }, { warn: (l) => warnings.push(l) });
    assert.match(warnings.join('\n'), /readable by other users/);
  });
});
