/** The benchmark's command-line flags. */
import { AppError, ErrorCode } from '../../shared/errors.js';

/** Parsed flags of `sign-peers`. */
export interface BenchOptions {
  /**
   * Timed runs per tool and size (the 300 MB input always gets one run).
   * @default 5
   */
  runs: number;
  /** Leave out the ~300 MB input (generating it takes about half a minute). */
  skip300: boolean;
  /** Where inputs and the key are generated once and kept between runs. */
  cacheDir: string;
  /** Also profile our CLI on the foreign input and print where its time goes. */
  cpuProf: boolean;
}

/** Usage text printed with any flag error. */
export const USAGE = 'usage: node dist/bench/sign-peers.js [--runs N] [--skip-300] [--cache-dir DIR] [--cpu-prof]';

function flagError(message: string): AppError {
  return new AppError(ErrorCode.INVALID_ARGUMENT, `${message}\n${USAGE}`);
}

/** Parses `argv` (without node and the script path). */
export function parseBenchOptions(argv: readonly string[], defaults: { cacheDir: string }): BenchOptions {
  const options: BenchOptions = { runs: 5, skip300: false, cacheDir: defaults.cacheDir, cpuProf: false };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    if (flag === '--skip-300') {
      options.skip300 = true;
    } else if (flag === '--cpu-prof') {
      options.cpuProf = true;
    } else if (flag === '--runs' || flag === '--cache-dir') {
      const value = argv[i + 1];
      if (value === undefined) throw flagError(`${flag} needs a value`);
      i += 1;
      if (flag === '--cache-dir') {
        options.cacheDir = value;
      } else {
        options.runs = Number(value);
        if (!Number.isInteger(options.runs) || options.runs < 1 || options.runs > 50) {
          throw flagError(`--runs must be a whole number from 1 to 50, got "${value}"`);
        }
      }
    } else {
      throw flagError(`unknown flag "${flag}"`);
    }
  }
  return options;
}
