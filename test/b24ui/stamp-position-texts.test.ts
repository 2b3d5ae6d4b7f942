/**
 * The sentence beside the Sign dialog's position grid, for all six positions and every kind of page, in both
 * languages: whole, grammatical phrases ("Штамп будет по центру внизу на последней странице.", never
 * "в по центру"), and the grid's own labels standalone words, not sentence fragments.
 */
import assert from 'node:assert/strict';
import { describeChoice } from '../../activity/b24/sign-dialog-view.js';
import { messagesFor } from '../../shared/i18n/messages.js';
import { STAMP_POSITIONS } from '../../shared/pdf/stamp/stamp-placement.js';

describe('stamp position texts', () => {
  it('describes every position on every kind of page as a whole sentence', () => {
    const expected = {
      ru: {
        'top-left': 'Штамп будет в левом верхнем углу на первой странице.',
        'top-center': 'Штамп будет по центру вверху на первой странице.',
        'top-right': 'Штамп будет в правом верхнем углу на первой странице.',
        'bottom-left': 'Штамп будет в левом нижнем углу на первой странице.',
        'bottom-center': 'Штамп будет по центру внизу на первой странице.',
        'bottom-right': 'Штамп будет в правом нижнем углу на первой странице.',
      },
      en: {
        'top-left': 'The stamp goes in the top left corner of the first page.',
        'top-center': 'The stamp goes in the middle of the top edge of the first page.',
        'top-right': 'The stamp goes in the top right corner of the first page.',
        'bottom-left': 'The stamp goes in the bottom left corner of the first page.',
        'bottom-center': 'The stamp goes in the middle of the bottom edge of the first page.',
        'bottom-right': 'The stamp goes in the bottom right corner of the first page.',
      },
    } as const;
    for (const language of ['ru', 'en'] as const) {
      for (const position of STAMP_POSITIONS) {
        assert.equal(
          describeChoice(language, { visible: true, position, page: 'first' }),
          expected[language][position],
        );
      }
    }
    assert.equal(
      describeChoice('ru', { visible: true, position: 'bottom-center', page: 'last' }),
      'Штамп будет по центру внизу на последней странице.',
    );
    assert.equal(
      describeChoice('ru', { visible: true, position: 'top-left', page: 3 }),
      'Штамп будет в левом верхнем углу на странице 3.',
    );
    assert.equal(
      describeChoice('en', { visible: true, position: 'bottom-right', page: 3 }),
      'The stamp goes in the bottom right corner of page 3.',
    );
  });

  it('labels the grid cells with standalone words', () => {
    for (const language of ['ru', 'en'] as const) {
      for (const label of Object.values(messagesFor(language).dialog.positions)) {
        assert.match(label, /^\p{Lu}\p{Ll}*( \p{Ll}+){1,2}$/u, label);
      }
    }
  });
});
