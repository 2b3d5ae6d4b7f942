/**
 * Runs an installed command-line tool without a shell and hands back its exit code and output.
 * A missing tool or a killed process fails loudly; a non-zero exit does not, because several
 * verifiers (pdfsig, mutool sign) report their verdict on stdout whatever the exit code.
 */
import { type ExecFileException, execFile } from 'node:child_process';
import { AppError, ErrorCode } from '../../shared/errors.js';

/** Debian packages that provide the tools the test support runs, for the "not installed" message. */
const PACKAGES: Record<string, string> = {
  pdfsig: 'poppler-utils',
  pdffonts: 'poppler-utils',
  pdftoppm: 'poppler-utils',
  qpdf: 'qpdf',
  mutool: 'mupdf-tools',
  bash: 'bash',
};

/** What a finished tool run produced. */
export interface ToolRun<T extends string | Buffer = string> {
  exitCode: number;
  stdout: T;
  stderr: string;
}

/** Options for {@link runTool}. */
export interface RunToolOptions {
  /** Kill the tool after this many milliseconds. @default 60000 */
  timeoutMs?: number;
}

/** Runs `command args...` and returns stdout as UTF-8 text. */
export async function runTool(command: string, args: string[], options: RunToolOptions = {}): Promise<ToolRun> {
  const run = await runToolRaw(command, args, options);
  return { ...run, stdout: run.stdout.toString('utf8') };
}

/** Runs `command args...` and returns stdout as bytes (for image output such as PGM). */
export function runToolRaw(command: string, args: string[], options: RunToolOptions = {}): Promise<ToolRun<Buffer>> {
  const { timeoutMs = 60_000 } = options;
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { encoding: 'buffer', maxBuffer: 512 * 1024 * 1024, timeout: timeoutMs },
      (error, stdout, stderr) => {
        const stderrText = stderr.toString('utf8');
        if (error === null) {
          resolve({ exitCode: 0, stdout, stderr: stderrText });
          return;
        }
        const failure = describeFailure(command, args, error, stderrText);
        if (failure !== undefined) reject(failure);
        else resolve({ exitCode: Number(error.code), stdout, stderr: stderrText });
      },
    );
  });
}

/** Turns "could not run" and "was killed" into an AppError; returns undefined for a plain non-zero exit. */
function describeFailure(
  command: string,
  args: string[],
  error: ExecFileException,
  stderr: string,
): AppError | undefined {
  if (error.code === 'ENOENT') {
    const pkg = PACKAGES[command] ?? 'the package that provides it';
    return new AppError(ErrorCode.INTERNAL, `'${command}' is not installed; install ${pkg} (the tests need it)`, {
      cause: error,
    });
  }
  if (typeof error.code === 'number') return undefined;
  const how = error.signal ? `was killed by ${error.signal}${error.killed ? ' (timeout?)' : ''}` : 'could not run';
  return new AppError(ErrorCode.INTERNAL, `${command} ${args.join(' ')} ${how}: ${error.message}\n${stderr}`, {
    cause: error,
  });
}
