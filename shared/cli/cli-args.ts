/** Argument parsing for CLI commands: node:util parseArgs with one error type and a help text. */
import fs from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { AppError, ErrorCode } from '../errors.js';
import { errnoSentence } from '../fs/file-error.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export function parseCommandArgs<O extends OptionSpec>(argv: string[], options: O) {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, `${(e as Error).message.split('\n')[0]} (try --help)`);
  }
}

export function invalid(message: string): AppError {
  return new AppError(ErrorCode.INVALID_ARGUMENT, `${message} (try --help)`);
}

/** Reads a file named on the command line, with an error that says which one and why. */
export function readFileFor(what: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new AppError(ErrorCode.FILE_IO, `Cannot read the ${what} ${file}: ${errnoSentence(e)}`, { cause: e });
  }
}

/**
 * Arguments of a command whose only sub-command is `list` (`cert list`, `token list`): prints the help for
 * `--help`/none (exit 0/64), refuses other sub-commands and stray arguments; `undefined` means "help printed".
 */
export function parseListCommand<O extends OptionSpec>(
  argv: string[],
  command: string,
  help: string,
  options: O,
): { values: ReturnType<typeof parseCommandArgs<O>>['values'] } | { exitCode: number } {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(`${help}\n`);
    return { exitCode: sub === undefined ? 64 : 0 };
  }
  if (sub !== 'list') throw invalid(`unknown ${command} command '${sub}'`);
  const { values, positionals } = parseCommandArgs(rest, options);
  if ((values as { help?: boolean }).help) {
    process.stdout.write(`${help}\n`);
    return { exitCode: 0 };
  }
  if (positionals.length > 0) throw invalid(`unexpected argument '${positionals[0]}'`);
  return { values };
}
