/**
 * BB-code escaping of text from others: values in notification templates, the timeline comment and the
 * administrator's notice arrive with `[` / `]` as `&#91;` / `&#93;` (how Bitrix24's own text parser escapes
 * them), while the templates' own markup stays.
 */
import assert from 'node:assert/strict';
import { escapeBbcode, fillBbcode } from '../../shared/bitrix24/bbcode.js';
import type { SignRequest } from '../../shared/domain/sign-request.js';
import { adminNotice, signedComment } from '../../worker/bitrix24/robot-texts.js';

const PHISH = '[URL=https://evil.example]Open[/URL]';

describe('BB-code escaping', () => {
  it('escapes every bracket of a value and nothing else', () => {
    assert.equal(escapeBbcode(PHISH), '&#91;URL=https://evil.example&#93;Open&#91;/URL&#93;');
    assert.equal(escapeBbcode('Договор № 5 (final) & more'), 'Договор № 5 (final) & more');
    assert.equal(escapeBbcode('[[B]]'), '&#91;&#91;B&#93;&#93;');
  });

  it("fills a template's placeholders with escaped values and keeps the template's markup", () => {
    const text = fillBbcode('Deal {deal}: [URL={link}]Open[/URL] {missing}', {
      deal: `[B]${PHISH}[/B]`,
      link: 'https://sign.example/b24/approve/abc',
    });
    assert.equal(
      text,
      'Deal &#91;B&#93;&#91;URL=https://evil.example&#93;Open&#91;/URL&#93;&#91;/B&#93;: ' +
        '[URL=https://sign.example/b24/approve/abc]Open[/URL] {missing}',
    );
  });

  it('the timeline comment and the administrator notice escape names, subjects, file names and reasons', () => {
    const comment = signedComment(
      {
        signer: `Mallory ${PHISH}`,
        signerUserId: 7,
        certificate: 'CN=[B]Evil[/B]',
        otp: 'used',
        fileId: '12',
        fileName: '[URL=x]a[/URL].pdf',
        dealId: 3,
        requestId: 'r1',
      },
      'en',
    );
    assert.match(comment, /\[USER=7\]Mallory &#91;URL=https:\/\/evil\.example&#93;Open&#91;\/URL&#93;\[\/USER\]/);
    assert.match(comment, /Certificate: CN=&#91;B&#93;Evil&#91;\/B&#93;/);
    assert.match(comment, /Signed file: &#91;URL=x&#93;a&#91;\/URL&#93;\.pdf \(id 12\)/);
    assert.match(comment, /^\[B\]PDF signed/, 'our own markup stays');
    const request = {
      document: { kind: 'bitrix24', entityId: 3 },
      failure: { code: 'X', message: `bad ${PHISH}` },
    } as unknown as SignRequest;
    assert.doesNotMatch(adminNotice(request, 'failed', 'ru'), /\[URL/);
  });
});
