/**
 * Test support: counts the runs of a real command-line tool by a child process. `countedCommand` writes a
 * wrapper script named like the tool into a directory to put first on the child's PATH; the wrapper logs
 * when each run starts and ends (nanoseconds, one line each, appended) and runs the real tool with the same
 * arguments, stdin and stdout. `runs()` reads the log: how many runs, and the most that ran at once.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface CountedCommand {
  /** The directory to put first on PATH. */
  dir: string;
  /** Runs so far (optionally only those whose arguments match), and the most at once. */
  runs(): { total: number; maxConcurrent: number };
}

/**
 * Wraps `realPath` as `name` in `dir`; invocations whose first argument is in `ignoreFirstArgs` (e.g. `-v`)
 * are passed through without being counted.
 */
export function countedCommand(
  dir: string,
  name: string,
  realPath: string,
  ignoreFirstArgs: string[] = [],
): CountedCommand {
  fs.mkdirSync(dir, { recursive: true });
  const log = path.join(dir, `${name}.runs.log`);
  fs.writeFileSync(log, '');
  const ignore = ignoreFirstArgs.map((a) => `[ "$1" = "${a}" ] && exec "${realPath}" "$@"`).join('\n');
  const script = `#!/bin/sh
${ignore}
echo "start $$ $(date +%s%N)" >> "${log}"
"${realPath}" "$@"
rc=$?
echo "end $$ $(date +%s%N)" >> "${log}"
exit $rc
`;
  fs.writeFileSync(path.join(dir, name), script, { mode: 0o755 });
  return {
    dir,
    runs() {
      const events = fs
        .readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [kind, , at] = line.split(' ');
          return { kind, at: BigInt(at as string) };
        })
        .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.kind === 'end' ? -1 : 1));
      let running = 0;
      let maxConcurrent = 0;
      for (const e of events) {
        running += e.kind === 'start' ? 1 : -1;
        maxConcurrent = Math.max(maxConcurrent, running);
      }
      return { total: events.filter((e) => e.kind === 'start').length, maxConcurrent };
    },
  };
}
