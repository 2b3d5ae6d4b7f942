/**
 * The stamp's text layout on DejaVu Sans metrics: where rows break, that sizes shrink only when the rows are too
 * tall and never below 7 pt, and which lines give way (with "…", then left out) when even 7 pt does not fit —
 * never the ones marked keep. The rendered results are checked in stamp-legibility.test.ts.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { FontSubset } from '../../../shared/pdf/stamp/font-subset.js';
import { layoutText, MIN_FONT_SIZE, type StampBlock, wrapText } from '../../../shared/pdf/stamp/stamp-layout.js';
import { parseTrueType } from '../../../shared/pdf/stamp/truetype-font.js';

const FONT = parseTrueType(
  fs.readFileSync(new URL('../../../../node_modules/dejavu-fonts-ttf/ttf/DejaVuSans.ttf', import.meta.url)),
);

describe('stamp text layout', () => {
  const font = () => new FontSubset(FONT);

  it('breaks rows between words and after hyphens, never inside a no-break run that fits, never wider than asked', () => {
    const f = font();
    const width = 90;
    const rows = wrapText(f, 'Александра Константиновна Преображенская-Долгорукова-Щедрина', 7, width);
    assert.deepEqual(rows, ['Александра', 'Константиновна', 'Преображенская-', 'Долгорукова-Щедрина']);
    const time = 'Подписан: 7\u00a0Dec\u00a02026, 00:33\u00a0+10:00';
    assert.deepEqual(wrapText(f, time, 7, 60), ['Подписан:', '7\u00a0Dec\u00a02026,', '00:33\u00a0+10:00']);
    const serial = wrapText(f, `Serial: ${'7A3F09C41E5B28D6'.repeat(3)}`, 7, width);
    assert.ok(serial.length >= 2, String(serial));
    for (const row of [...rows, ...serial]) assert.ok(f.widthOf(row, 7) <= width, row);
    assert.equal(serial.join('').replace(/^Serial:/, ''), '7A3F09C41E5B28D6'.repeat(3));
  });

  it('keeps the preferred sizes while the rows fit, then shrinks all together, never below 7 pt', () => {
    const blocks: StampBlock[] = [
      { text: 'Мария Иванова', size: 10, keep: true },
      { text: 'Издатель: Удостоверяющий центр Общества с ограниченной ответственностью', size: 8 },
    ];
    const roomy = layoutText(font(), blocks, 150, 500);
    assert.deepEqual([...new Set(roomy.rows.map((r) => r.size))], [10, 8]);
    const tight = layoutText(font(), blocks, 150, roomy.height - 4);
    assert.ok(tight.height <= roomy.height - 4, `${tight.height}`);
    assert.ok(tight.rows.every((r) => r.size < (r.text === 'Мария Иванова' ? 10 : 8)));
    const tiny = layoutText(font(), blocks, 150, 20);
    assert.equal(Math.min(...tiny.rows.map((r) => r.size)), MIN_FONT_SIZE);
  });

  it('lets the highest cut give way first, with "…", then leaves lines out; kept lines stay whole', () => {
    const long = 'Общества с ограниченной ответственностью «Северо-Западная Энергетика»';
    const blocks: StampBlock[] = [
      { text: 'Александра Константиновна Преображенская-Долгорукова-Щедрина', size: 7, keep: true },
      { text: `Serial: ${long}`, size: 7, cut: 1 },
      { text: `Issuer: ${long}`, size: 7, cut: 3 },
      { text: `Certificate: ${long}`, size: 7, cut: 4 },
    ];
    const f = font();
    const full = layoutText(f, blocks, 100, 1000);
    const row = full.rows[0]!.size * 1.25;
    // Room for all but six rows: the certificate gives way first, down to one row, then the issuer; the serial
    // (the lowest cut) stays whole.
    const less = layoutText(f, blocks, 100, full.height - 6 * row + 0.1);
    const rowsOf = (label: string) => {
      const start = less.rows.findIndex((r) => r.text.startsWith(label));
      const next = less.rows.findIndex((r, i) => i > start && /^(Serial|Issuer|Certificate):/.test(r.text));
      return less.rows.slice(start, next < 0 ? undefined : next).map((r) => r.text);
    };
    assert.equal(rowsOf('Certificate').length, 1);
    assert.equal(rowsOf('Issuer').length, 3, String(rowsOf('Issuer')));
    for (const cut of [rowsOf('Certificate'), rowsOf('Issuer')]) assert.ok(cut.at(-1)!.endsWith('…'), String(cut));
    assert.ok(less.rows.every((r) => f.widthOf(r.text, 7) <= 100));
    assert.equal(rowsOf('Serial').join(' '), `Serial: ${long}`);
    // Room for the name only: everything else is left out, the name is whole.
    const nameOnly = layoutText(f, blocks, 100, 4 * row + 0.1);
    assert.equal(nameOnly.rows.map((r) => r.text).join(' '), blocks[0]!.text.replace('-Долгорукова', '- Долгорукова'));
    // No room at all: the kept line is still there, whole (the caller scales the stamp).
    assert.equal(layoutText(f, blocks, 100, 1).rows.length, 4);
  });
});
