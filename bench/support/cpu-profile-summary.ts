/**
 * Reads the V8 CPU profiles that workers (or CLI runs) write with `node --cpu-prof` (the `.cpuprofile`
 * JSON of the Chrome DevTools protocol, Profiler.Profile: nodes with call frames, samples and time deltas)
 * and says where their main thread spent its time, by part of the work: self time per category of code,
 * per document. The profiler samples the JavaScript thread, so time blocked in a synchronous native call (an
 * fsync inside better-sqlite3, a SHA-256 over a megabyte) counts in the JavaScript function that made it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Native functions of node:fs as they appear in a profile (no URL): the time the JavaScript thread spent in them. */
const NATIVE_FS = new Set([
  'read',
  'readFileUtf8',
  'writeBuffer',
  'writeString',
  'fsync',
  'fdatasync',
  'open',
  'openFileHandle',
  'close',
  'fstat',
  'stat',
  'lstat',
  'rename',
  'unlink',
  'rmSync',
  'copyFile',
  'fchmod',
]);

function isModuleLoading(url: string, fn: string): boolean {
  if (url.startsWith('node:internal/modules/')) return true;
  return fn === 'compileForInternalLoader' || fn === 'internalModuleStat' || fn === 'compileSourceTextModule';
}

/** Which part of the work a call frame belongs to; the first matching rule wins. */
const CATEGORIES: [string, (url: string, fn: string) => boolean][] = [
  ['idle', (_u, fn) => fn === '(idle)'],
  ['garbage collection', (_u, fn) => fn === '(garbage collector)'],
  ['visible stamp (font subset, appearance)', (u) => u.includes('/shared/pdf/stamp/')],
  ['PDF engine (parse, incremental write, byte range)', (u) => u.includes('/shared/pdf/')],
  [
    'CMS and certificates (pkijs, asn1js, ours)',
    (u) => /\/shared\/crypto\/|\/pkijs\/|\/asn1js\/|\/pvtsutils\//.test(u),
  ],
  ['hashing and other node:crypto', (u) => u.includes('node:internal/crypto')],
  ['store (better-sqlite3, JSON of requests)', (u) => /better-sqlite3|\/shared\/store\//.test(u)],
  ['queue (amqplib)', (u) => /amqplib|\/shared\/queue\//.test(u)],
  ['file I/O (fs)', (u) => /node:internal\/fs|node:fs|\/shared\/fs\//.test(u)],
  ['PKCS#11 (pkcs11js)', (u) => /pkcs11/.test(u)],
  ['metrics (prom-client)', (u) => u.includes('prom-client')],
  ['pipeline steps and logging', (u) => /\/worker\/|\/shared\/(logger|domain|sign-requests|signing)/.test(u)],
  ['module loading (resolve, read, compile, link)', (u, fn) => isModuleLoading(u, fn)],
  ['file I/O (native read, write, fsync, copy)', (u, fn) => u === '' && NATIVE_FS.has(fn)],
  ['JSON and other built-ins', (u, fn) => u === '' && fn !== '(program)'],
  ['V8 and native code outside JS ("(program)")', (_u, fn) => fn === '(program)'],
  ['other Node internals', (u) => u.startsWith('node:')],
];

function categoryOf(frame: ProfileNode['callFrame']): string {
  for (const [name, test] of CATEGORIES) if (test(frame.url, frame.functionName)) return name;
  return 'other';
}

/** Self milliseconds by category over every `.cpuprofile` in `dir`. */
export function summarizeCpuProfiles(dir: string): Map<string, number> {
  const totals = new Map<string, number>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
    const category = new Map(profile.nodes.map((n) => [n.id, categoryOf(n.callFrame)]));
    for (const [i, nodeId] of profile.samples.entries()) {
      const name = category.get(nodeId) ?? 'other';
      // The delta before sample i is the time the sampled frame ran (µs).
      totals.set(name, (totals.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
    }
  }
  return totals;
}

/**
 * Report lines: ms per document by category, busiest first. Idle time (the thread waiting for I/O done by the
 * thread pool or the kernel) is left out unless `options.showIdle`.
 */
export function formatCpuProfile(
  totals: Map<string, number>,
  documents: number,
  options: { title?: string; showIdle?: boolean } = {},
): string[] {
  const rows = [...totals].filter(([name]) => name !== 'idle').sort((a, b) => b[1] - a[1]);
  const all = rows.reduce((a, [, ms]) => a + ms, 0);
  const title =
    options.title ??
    `worker main-thread time by part of the work (V8 profiles of both workers, ${documents} documents incl. ` +
      `warm-up; ${(all / documents).toFixed(1)} ms per document; a blocking call such as SQLite's fsync counts ` +
      'in the code that made it)';
  const line = (name: string, ms: number, share: string) =>
    `    ${name.padEnd(52)} ${(ms / documents).toFixed(1).padStart(6)} ms  ${share}`;
  const idle = totals.get('idle') ?? 0;
  return [
    `  ${title}:`,
    ...rows.map(([name, ms]) => line(name, ms, `${((100 * ms) / all).toFixed(0).padStart(3)}%`)),
    ...(options.showIdle ? [line('idle (waiting for the thread pool or the kernel)', idle, '')] : []),
  ];
}
