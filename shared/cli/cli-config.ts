/**
 * The service configuration as the CLI sees it. Kept apart from data-dir.ts so that commands which only need
 * the data directory (sign, verify, token, cert, ca) do not load zod and the config schema at start-up.
 */
import { type Config, loadServiceConfig } from '../config.js';

/**
 * The service configuration as a CLI command sees it: the environment over the configuration file, with
 * `--data-dir` (when given) over both. The one place where CLI commands turn flags + settings into a Config.
 */
export function cliConfig(dataDirFlag: unknown, env: NodeJS.ProcessEnv = process.env): Config {
  return loadServiceConfig(env, dataDirFlag);
}
