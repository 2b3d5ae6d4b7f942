/**
 * The README documents every setting the code reads, and only those: the names in its settings tables (every
 * table headed "Variable | Default | Meaning") against the config schema's keys (read from the schema object)
 * and the short list of variables read outside it, both ways. And the README stands on its own: no link leaves
 * the repository, every relative link names a file that exists, every #anchor a heading.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SETTING_NAMES } from '../../shared/config.js';
import { SETTINGS_OUTSIDE_SCHEMA } from '../../shared/config-file.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

interface SettingsRow {
  line: number;
  names: string[];
  defaultText: string;
  meaning: string;
}

/** The rows of every table whose header is `| Variable | Default | Meaning |`. */
function settingsRows(markdown: string): SettingsRow[] {
  const lines = markdown.split('\n');
  const rows: SettingsRow[] = [];
  const cells = (line: string) =>
    line
      .trim()
      .replace(/^\||\|$/g, '')
      .split('|')
      .map((c) => c.trim());
  lines.forEach((line, i) => {
    const header = cells(line);
    if (!line.trim().startsWith('|') || header[0] !== 'Variable' || header[1] !== 'Default') return;
    for (let j = i + 2; j < lines.length && lines[j]?.trim().startsWith('|'); j++) {
      const [first = '', defaultText = '', meaning = ''] = cells(lines[j] as string);
      rows.push({
        line: j + 1,
        names: [...first.matchAll(/`([A-Za-z_][A-Za-z0-9_]*)`/g)].map((m) => m[1] as string),
        defaultText,
        meaning,
      });
    }
  });
  return rows;
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Names the code reads from an environment object (`env.NAME`, `env['NAME']`, `settingsEnvironment().NAME`). */
function namesReadInSource(): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const text = fs.readFileSync(file, 'utf8');
        for (const m of text.matchAll(/\b(?:env|Environment\(\))(?:\.|\[')([A-Z][A-Z0-9_]{2,})\b/g)) {
          found.set(m[1] as string, path.relative(ROOT, file));
        }
        for (const m of text.matchAll(/\bpick\('[a-z-]+', '([A-Z][A-Z0-9_]+)'\)/g)) {
          found.set(m[1] as string, path.relative(ROOT, file));
        }
      }
    }
  };
  for (const dir of ['shared', 'activity', 'worker']) walk(path.join(ROOT, dir));
  return found;
}

describe('README: settings and standing on its own', () => {
  const rows = settingsRows(README);
  const documented = new Set(rows.flatMap((r) => r.names));
  const outside = Object.keys(SETTINGS_OUTSIDE_SCHEMA);

  it('finds the settings tables', () => {
    assert.ok(rows.length >= 40, `only ${rows.length} settings rows found`);
    assert.ok(SETTING_NAMES.length >= 40, `the schema has ${SETTING_NAMES.length} keys`);
  });

  it('every key of the config schema is in a README settings table', () => {
    const missing = SETTING_NAMES.filter((name) => !documented.has(name));
    assert.deepEqual(missing, [], `settings the schema reads but README's tables do not list: ${missing.join(', ')}`);
  });

  it('every variable read outside the schema is in a README settings table too', () => {
    const missing = outside.filter((name) => !documented.has(name));
    assert.deepEqual(missing, [], `not documented: ${missing.join(', ')}`);
  });

  it('every name in README settings tables is a setting the code reads', () => {
    const known = new Set([...SETTING_NAMES, ...outside]);
    const unknown = rows.flatMap((r) =>
      r.names.filter((n) => !known.has(n)).map((n) => `${n} (README line ${r.line})`),
    );
    assert.deepEqual(unknown, [], `README documents settings nothing reads: ${unknown.join(', ')}`);
  });

  it('every settings row names a default and a meaning', () => {
    const bare = rows.filter((r) => r.names.length === 0 || r.defaultText === '' || r.meaning === '');
    assert.deepEqual(
      bare.map((r) => r.line),
      [],
      'rows without a name, a default or a meaning',
    );
  });

  it('the code reads no environment variable that is neither in the schema nor in the documented list', () => {
    const known = new Set([...SETTING_NAMES, ...outside]);
    const unknown = [...namesReadInSource()].filter(([name]) => !known.has(name)).map(([n, f]) => `${n} (${f})`);
    assert.deepEqual(unknown, [], `read but not declared: ${unknown.join(', ')}`);
  });

  it('points nowhere outside the repository: no ../ path, relative links name files that exist, anchors headings', () => {
    const outsideRefs = README.split('\n')
      .map((line, i) => [i + 1, line] as const)
      .filter(([, line]) => /(^|[\s(`'"])\.\.\//.test(line));
    assert.deepEqual(outsideRefs, [], 'README refers to paths outside the repository');
    const headings = new Set(
      README.split('\n')
        .filter((l) => /^#{1,6} /.test(l))
        .map((l) => anchorOf(l.replace(/^#+ /, ''))),
    );
    const broken: string[] = [];
    for (const m of README.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1] as string;
      if (/^[a-z]+:/i.test(target)) continue;
      if (target.startsWith('#')) {
        if (!headings.has(target.slice(1))) broken.push(target);
      } else if (!fs.existsSync(path.join(ROOT, target.split('#')[0] as string))) {
        broken.push(target);
      }
    }
    assert.deepEqual(broken, [], 'links to nothing');
  });
});
