/**
 * The service configuration as the CLI sees it. Kept apart from data-dir.ts so that commands which only need
 * the data directory (sign, verify, token, cert, ca) do not load zod and the config schema at start-up.
 */
import { type Config, loadConfig } from '../config.js';

/**
 * The service configuration as the CLI sees it: the environment, with `--data-dir` (when given) in place of
 * SIGNSERVICE_DATA_DIR. The one place where CLI commands turn flags + environment into a Config.
 */
export function cliConfig(dataDirFlag: unknown, env: NodeJS.ProcessEnv = process.env): Config {
  return loadConfig(
    typeof dataDirFlag === 'string' && dataDirFlag !== '' ? { ...env, SIGNSERVICE_DATA_DIR: dataDirFlag } : env,
  );
}
