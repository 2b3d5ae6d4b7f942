/** Argument parsing for CLI commands: node:util parseArgs with one error type and a help text. */
import fs from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { AppError, ErrorCode } from '../errors.js';

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
    throw new AppError(ErrorCode.FILE_IO, `cannot read the ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
}
