/**
 * No dead texts: every key of the message catalogues — the pages' and e-mails' (shared/i18n/en.ts and the
 * files it spreads; ru mirrors it, test/mail/render-template.test.ts checks that) and the Control Panel's
 * (shared/i18n/admin-texts.ts) — is read somewhere in the code or the templates (activity/, worker/, shared/,
 * templates/, the catalogues themselves excluded).
 *
 * A key counts as read where a source file accesses it as a property (`t.approval.intro`, `texts.describe`,
 * `{{t.mail.lockout.unlock}}`, `m['signature-outcome']`) and that file also names its parent group — a
 * heuristic that finds every key nothing reads any more. Keys read by a computed name are counted by an
 * explicit rule each, never by skipping: the rule names the group, the file that reads it by name, and the
 * names it can read (from the code's own lists where they exist), and a key of such a group outside those
 * names is reported like any other.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SIGN_REQUEST_STATES } from '../../shared/domain/sign-request.js';
import { ErrorCode } from '../../shared/errors.js';
import { ADMIN_TEXTS } from '../../shared/i18n/admin-texts.js';
import { en } from '../../shared/i18n/en.js';
import { STAMP_POSITIONS } from '../../shared/pdf/stamp/stamp-placement.js';
import { PADES_LEVELS } from '../../shared/signing/signing-level.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PLURAL_FORMS = new Set(['zero', 'one', 'two', 'few', 'many', 'other']);
const CATALOGUE = /shared\/i18n\/((en|ru)(-[a-z]+)?|admin-texts|admin-code-labels)\.ts$/;

/** The source files that may read texts. */
function sources(): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(ts|js|hbs)$/.test(entry.name) && !CATALOGUE.test(full.split(path.sep).join('/'))) {
        out.push({ file: path.relative(ROOT, full), text: fs.readFileSync(full, 'utf8') });
      }
    }
  };
  for (const dir of ['activity', 'worker', 'shared', 'templates']) walk(path.join(ROOT, dir));
  return out;
}

/** Every key path of a catalogue; a plural group (one/few/many/other) is one key. */
function keyPaths(value: Record<string, unknown>, prefix: string[] = []): string[][] {
  return Object.entries(value).flatMap(([key, v]) => {
    if (typeof v === 'string') return [[...prefix, key]];
    const group = v as Record<string, unknown>;
    if (Object.keys(group).every((k) => PLURAL_FORMS.has(k))) return [[...prefix, key]];
    return keyPaths(group, [...prefix, key]);
  });
}

const regexText = (s: string) => s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');

/** A group whose keys are read by a computed name: which names the reader can produce. */
interface DynamicRule {
  /** Key path of the group, dotted. */
  group: string;
  /** The file that reads the group by name, and a pattern that finds the computed read there. */
  reader: string;
  read: RegExp;
  names: readonly string[];
  why: string;
}

const ERROR_CODES = Object.values(ErrorCode) as string[];
const OUTCOMES = ['signed', 'rejected', 'expired', 'failed'];

const PAGE_RULES: DynamicRule[] = [
  {
    group: 'errors',
    reader: 'activity/middleware/error-handler.ts',
    read: /error\.code in errors/,
    names: [...ERROR_CODES, 'NOT_FOUND', 'GENERIC'],
    why: 'an error page by the AppError code (else NOT_FOUND / GENERIC)',
  },
  {
    group: 'dialogErrors',
    reader: 'activity/b24/dialog-error-text.ts',
    read: /\[error\.code\]/,
    names: [...ERROR_CODES, 'GENERIC'],
    why: 'a refusal by the AppError code',
  },
  {
    group: 'dialogErrors',
    reader: 'activity/public/sign-dialog.js',
    read: /texts\.errors\[code\][\s\S]*code: 'NETWORK'|code: 'NETWORK'[\s\S]*texts\.errors\[code\]/,
    names: ['NETWORK'],
    why: "the dialog script's own code for an API that did not answer",
  },
  {
    group: 'dialog.positions',
    reader: 'activity/b24/sign-dialog-view.ts',
    read: /t\.positions\[value\]/,
    names: STAMP_POSITIONS,
    why: 'the grid labels, one per stamp position',
  },
  {
    group: 'dialog.positionPhrases',
    reader: 'activity/public/sign-dialog.js',
    read: /texts\.positionPhrases\[c\.position\]/,
    names: STAMP_POSITIONS,
    why: 'the description beside the grid, per stamp position',
  },
  {
    group: 'dialog.progress',
    reader: 'activity/public/sign-dialog.js',
    read: /texts\.progress\[status\.items\[0\]\.state\]/,
    names: SIGN_REQUEST_STATES,
    why: "a request's progress by its state",
  },
  {
    group: 'batch.states',
    reader: 'activity/public/approval.js',
    read: /texts\.states\[item\.state\]/,
    names: SIGN_REQUEST_STATES,
    why: "a batch row's progress by its request's state",
  },
  {
    group: 'verify.levels',
    reader: 'activity/verify/verify-view.ts',
    read: /t\.levels\[s\.level\]/,
    names: [...PADES_LEVELS, 'none'],
    why: "a signature's PAdES level",
  },
  {
    group: 'notices',
    reader: 'worker/notices/signing-notices.ts',
    read: /t\.notices\[key\]/,
    names: OUTCOMES,
    why: "the requester's notice of a robot request's outcome",
  },
  {
    group: 'mail.signature-outcome',
    reader: 'worker/notices/signing-notices.ts',
    read: /m\[key\][\s\S]*m\[`\$\{key\}Text`\]/,
    names: [...OUTCOMES, ...OUTCOMES.map((o) => `${o}Text`)],
    why: "the outcome e-mail's summary and sentence",
  },
];

const ADMIN_RULES: DynamicRule[] = [
  ...['actions', 'roles', 'certificateStatuses', 'requestStates'].map((kind) => ({
    group: `labels.${kind}`,
    reader: 'activity/public/admin-core.js',
    read: /state\.t\.labels\?\.\[kind\]\?\.\[code\]/,
    // The labels are typed Records of the code unions (admin-code-labels.ts): exactly the codes the API sends.
    names: Object.keys(ADMIN_TEXTS.en.labels[kind as keyof typeof ADMIN_TEXTS.en.labels]),
    why: `the words for an API code (label('${kind}', code))`,
  })),
];

/** Groups a script reads whole (`Object.values(t.columns)`, `Object.entries(t.filters)`). */
function readWhole(keyPath: string[], files: { text: string }[]): boolean {
  return keyPath
    .slice(0, -1)
    .some((group) =>
      files.some(({ text }) =>
        new RegExp(`Object\\.(values|entries|keys)\\([\\w.?]*\\.${regexText(group)}\\)`).test(text),
      ),
    );
}

/** Whether some file reads `keyPath` by its name: the key as a property, its parent group named too. */
function readByName(keyPath: string[], files: { text: string }[]): boolean {
  const key = keyPath.at(-1) as string;
  const parent = keyPath.at(-2);
  const property = new RegExp(`(\\.|\\?\\.)${regexText(key)}(?![\\w-])|\\[['"\`]${regexText(key)}['"\`]\\]`);
  const parentNamed = parent ? new RegExp(`(^|[^\\w-])${regexText(parent)}(?![\\w-])`) : undefined;
  return files.some(({ text }) => property.test(text) && (!parentNamed || parentNamed.test(text)));
}

function unused(catalogue: Record<string, unknown>, rules: DynamicRule[], files: { file: string; text: string }[]) {
  for (const rule of rules) {
    const reader = files.find((f) => f.file === rule.reader);
    assert.ok(reader, `${rule.group}: ${rule.reader} is gone; review the rule (${rule.why})`);
    assert.match(reader.text, rule.read, `${rule.group}: ${rule.reader} no longer reads it by name (${rule.why})`);
  }
  return keyPaths(catalogue)
    .filter((keyPath) => {
      // The name read is the key right below the rule's group (errors.<code> holds a title and a text).
      const dynamic = rules.some((r) => {
        const depth = r.group.split('.').length;
        const name = keyPath[depth];
        return keyPath.slice(0, depth).join('.') === r.group && name !== undefined && r.names.includes(name);
      });
      return !dynamic && !readWhole(keyPath, files) && !readByName(keyPath, files);
    })
    .map((keyPath) => keyPath.join('.'));
}

describe('message catalogues: no unused keys', () => {
  const files = sources();

  it('finds the sources it reads', () => {
    assert.ok(files.length > 100, `${files.length} source files`);
    assert.ok(files.some((f) => f.file.startsWith('templates/')));
  });

  it('every key of the pages’ and e-mails’ catalogue is read somewhere (both languages share the keys)', () => {
    assert.deepEqual(unused(en, PAGE_RULES, files), []);
  });

  it('every key of the Control Panel’s catalogue is read somewhere', () => {
    assert.deepEqual(unused(ADMIN_TEXTS.en as unknown as Record<string, unknown>, ADMIN_RULES, files), []);
  });

  it('a key nothing reads is reported, also inside a group read by computed names', () => {
    const probe = {
      ...en,
      approval: { ...en.approval, neverReadAnywhere: 'x' },
      dialogErrors: { ...en.dialogErrors, NOT_AN_ERROR_CODE: 'x' },
    };
    assert.deepEqual(unused(probe, PAGE_RULES, files).sort(), [
      'approval.neverReadAnywhere',
      'dialogErrors.NOT_AN_ERROR_CODE',
    ]);
  });
});
