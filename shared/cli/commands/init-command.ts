/**
 * `signservice init`: makes a new data directory where the configuration points — owner-only, with the
 * master key (unless one is configured elsewhere) and an empty store — and says where and why there. It is
 * the one CLI command besides `ca init` and `restore` that makes a data directory; every other command
 * refuses to run without one (data-dir.ts), so that a command run from another folder never succeeds on a
 * new, empty store. On a directory that has a store already it changes nothing; where a store evidently
 * lived and is gone it refuses (store-marker.ts), since an empty one would hide the loss.
 */
import fs from 'node:fs';
import type { Config } from '../../config.js';
import { securePrivateDir } from '../../fs/private-data-dir.js';
import { createStore } from '../../store/create-store.js';
import { invalid, parseCommandArgs } from '../cli-args.js';
import { cliConfig } from '../cli-config.js';
import { cliMasterKey } from '../cli-store.js';
import { DATA_DIR_HELP, DATA_DIR_OPTION } from '../data-dir.js';

const HELP = `Usage: signservice init [--data-dir DIR] [--json]

Makes a new SignService data directory (owner-only), its master key file master.key (unless
SIGNSERVICE_MASTER_KEY or SIGNSERVICE_MASTER_KEY_FILE names the key) and an empty store, where the
configuration points. The service makes them at its first start too; other commands never do: they refuse
to run without a data directory and say where they looked. Nothing changes on a directory that has a store.
With MONGO_URL the store is MongoDB's: init makes the data directory and the store's indexes.

${DATA_DIR_HELP}
  --json                  print the result as JSON
  -h, --help              this help`;

const OPTIONS = { ...DATA_DIR_OPTION, json: { type: 'boolean' } } as const;

interface InitResult {
  dataDir: string;
  dataDirNamed: string;
  created: boolean;
  store: string;
  masterKey: string;
  masterKeyId: string;
}

function masterKeyPlace(config: Config): string {
  return config.masterKey.source === 'env' ? 'SIGNSERVICE_MASTER_KEY' : config.masterKey.file;
}

async function initialise(config: Config): Promise<InitResult> {
  let created = true;
  if (config.store.kind === 'embedded') {
    const { assertStoreNotLost, storeIsNew } = await import('../../store/embedded/store-marker.js');
    if (fs.existsSync(config.dataDir)) assertStoreNotLost(config.store.file);
    created = storeIsNew(config.store.file);
  }
  securePrivateDir(config.dataDir);
  // The data directory's key file is made only with a new store: beside an existing one it would not open it.
  const masterKey = cliMasterKey(config, { createMasterKey: created });
  const store = await createStore(config.store, masterKey);
  await store.close();
  return {
    dataDir: config.dataDir,
    dataDirNamed: config.dataDirNamed,
    created,
    store: config.store.kind === 'embedded' ? config.store.file : `MongoDB database ${config.store.dbName}`,
    masterKey: masterKeyPlace(config),
    masterKeyId: masterKey.keyId,
  };
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (positionals.length > 0) throw invalid(`unexpected argument '${positionals[0]}'`);
  const result = await initialise(cliConfig(values['data-dir']));
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(
    result.created
      ? `Made the SignService data directory ${result.dataDir} (${result.dataDirNamed}): store ${result.store}, ` +
          `master key ${result.masterKey} (id ${result.masterKeyId}). Back the master key up somewhere else.\n`
      : `The data directory ${result.dataDir} (${result.dataDirNamed}) has a store already (${result.store}); nothing changed.\n`,
  );
  return 0;
}
