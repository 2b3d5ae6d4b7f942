/**
 * Help of a command group (`signservice account …`) and of each of its subcommands, made from one
 * description so that the group's list and a subcommand's own help never disagree: `account --help` lists
 * the subcommands, `account add --help` shows add's usage, what it does and only the options it takes.
 */
import { invalid } from './cli-args.js';

export interface SubcommandHelp {
  /** What follows `signservice GROUP NAME` in the usage line, e.g. `LOGIN [--email ADDRESS]`. */
  usage: string;
  /** One line in the group's list. */
  summary: string;
  /** The subcommand's own explanation. @default the summary */
  details?: string;
  /** The option names (keys of GroupHelp.options) it takes, besides the group's common ones. */
  options: readonly string[];
}

export interface GroupHelp {
  /** `account`, `admin`, … */
  group: string;
  /** What the group is for (its help's first paragraph). */
  about: string;
  /** By name; a two-word name (`token create`) is a subcommand of a subcommand. */
  subcommands: Readonly<Record<string, SubcommandHelp>>;
  /** Help lines per option name: the flag as typed, and what it does ("\n" continues on the next line). */
  options: Readonly<Record<string, readonly [string, string]>>;
  /** Options every subcommand takes (e.g. `data-dir`, `help`). */
  common: readonly string[];
  /** A closing paragraph of the group's help. */
  footer?: string;
}

const FLAG_WIDTH = 24;

function optionLines(spec: GroupHelp, names: readonly string[]): string {
  return names
    .map((name) => {
      const [flag, text] = spec.options[name] ?? [`--${name}`, ''];
      const [first, ...more] = text.split('\n');
      return [`  ${flag.padEnd(FLAG_WIDTH)}${first}`, ...more.map((l) => `${' '.repeat(FLAG_WIDTH + 2)}${l}`)].join(
        '\n',
      );
    })
    .join('\n');
}

/** The group's help: what it is for, its subcommands, and how to get a subcommand's help. */
/** `grant LOGIN CERT-ID` of `grant` with usage `LOGIN CERT-ID [--default]`: the name and its arguments. */
function headOf(name: string, sub: SubcommandHelp): string {
  const words = sub.usage.split(/\s+/).filter((w) => w !== '');
  const end = words.findIndex((w) => w.startsWith('[') || w.startsWith('-'));
  return [name, ...(end === -1 ? words : words.slice(0, end))].join(' ');
}

export function groupHelpText(spec: GroupHelp): string {
  const heads = Object.entries(spec.subcommands).map(([name, s]) => [headOf(name, s), s.summary] as const);
  const width = Math.max(...heads.map(([head]) => head.length), 20);
  const list = heads.map(([head, summary]) => `  ${head.padEnd(width)}  ${summary}`).join('\n');
  return [
    `Usage: signservice ${spec.group} <command> [options]`,
    '',
    spec.about,
    '',
    'Commands:',
    list,
    '',
    'Options of every command:',
    optionLines(spec, spec.common),
    '',
    `Run 'signservice ${spec.group} <command> --help' for a command's options.`,
    ...(spec.footer ? ['', spec.footer] : []),
  ].join('\n');
}

/** One subcommand's help: its usage, what it does, and the options it takes. */
export function subcommandHelpText(spec: GroupHelp, name: string): string {
  const sub = spec.subcommands[name];
  if (!sub) throw invalid(`unknown ${spec.group} command '${name}'`);
  const options = [...sub.options, ...spec.common];
  return [
    `Usage: signservice ${spec.group} ${name} ${sub.usage}`.trimEnd(),
    '',
    sub.details ?? `${sub.summary[0]?.toUpperCase()}${sub.summary.slice(1)}.`,
    '',
    'Options:',
    optionLines(spec, options),
  ].join('\n');
}

/** The subcommand named by the first one or two positionals (`token create`), if there is one. */
export function subcommandOf(spec: GroupHelp, positionals: readonly string[]): string | undefined {
  const [first, second] = positionals;
  if (first === undefined) return undefined;
  const two = `${first} ${second ?? ''}`.trim();
  if (second !== undefined && spec.subcommands[two]) return two;
  return spec.subcommands[first] ? first : undefined;
}

/**
 * Answers help: no subcommand prints the group's help (exit 64, or 0 with --help or `help`); a subcommand with
 * --help prints its own (exit 0). Returns undefined when the command should run.
 * @throws AppError INVALID_ARGUMENT for a subcommand the group does not have.
 */
export function answerHelp(spec: GroupHelp, positionals: readonly string[], helpFlag: boolean): number | undefined {
  const [first] = positionals;
  if (first === undefined || first === 'help') {
    process.stdout.write(`${groupHelpText(spec)}\n`);
    return helpFlag || first === 'help' ? 0 : 64;
  }
  const name = subcommandOf(spec, positionals);
  if (name === undefined) {
    const nested = Object.keys(spec.subcommands).some((n) => n.startsWith(`${first} `));
    // `admin token --help`: the group's help lists `token create | list | revoke`.
    if (helpFlag && nested) {
      process.stdout.write(`${groupHelpText(spec)}\n`);
      return 0;
    }
    throw invalid(`unknown ${spec.group} command '${nested ? positionals.slice(0, 2).join(' ') : first}'`);
  }
  if (!helpFlag) return undefined;
  process.stdout.write(`${subcommandHelpText(spec, name)}\n`);
  return 0;
}
