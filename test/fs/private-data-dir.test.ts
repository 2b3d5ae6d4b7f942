/**
 * securePrivateDir takes group and other permissions off the data directory, but leaves alone a file that
 * has a name outside it: a signed blob hard-linked to its delivered output (write-file-durably.ts `linkFrom`)
 * shares the output's mode, and tightening it would make the signer's output unreadable to others.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { securePrivateDir } from '../../shared/fs/private-data-dir.js';

describe('securePrivateDir', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'private-data-dir-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('tightens what only the data directory names, and keeps the mode of a blob linked to an output', () => {
    const dataDir = path.join(dir, 'data');
    const blobs = path.join(dataDir, 'blobs');
    fs.mkdirSync(blobs, { recursive: true, mode: 0o755 });
    fs.chmodSync(dataDir, 0o755);
    const loose = path.join(dataDir, 'signservice.sqlite');
    fs.writeFileSync(loose, 'x', { mode: 0o644 });
    const output = path.join(dir, 'contract-signed.pdf');
    fs.writeFileSync(output, '%PDF-1.7', { mode: 0o644 });
    fs.chmodSync(output, 0o644);
    fs.linkSync(output, path.join(blobs, 'signed-blob'));
    const report = securePrivateDir(dataDir);
    assert.deepEqual(report.problems, []);
    assert.deepEqual(report.fixed.sort(), [dataDir, blobs, loose].sort());
    assert.equal(fs.statSync(loose).mode & 0o777, 0o600);
    assert.equal(fs.statSync(blobs).mode & 0o777, 0o700, 'others cannot reach the linked blob through blobs/');
    assert.equal(fs.statSync(output).mode & 0o777, 0o644, "the signer's output keeps its mode");
  });
});
