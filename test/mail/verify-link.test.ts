/** The "verify this document" link in the signed-outcome e-mail (both parts, both languages) and the timeline comment. */
import assert from 'node:assert/strict';
import { loadTemplates } from '../../shared/mail/render-template.js';
import { signedComment } from '../../worker/bitrix24/robot-texts.js';

describe('verify-this-document link', () => {
  const renderer = loadTemplates();
  const verifyLink = 'https://sign.example.com/verify?lang=ru';

  it('is in both parts of the signed-outcome e-mail, in Russian and English', () => {
    for (const [language, words] of [
      ['ru', 'Проверить этот документ'],
      ['en', 'Verify this document'],
    ] as const) {
      const mail = renderer.email('signature-outcome', language, {
        name: 'Anna',
        deal: 'Supply',
        outcome: 'signed',
        text: 'signed',
        verifyLink,
      });
      assert.ok(mail.text.includes(words) && mail.text.includes(verifyLink), mail.text);
      assert.ok(
        mail.html.includes(words) && mail.html.includes(`href="${verifyLink.replace('=', '&#x3D;')}"`),
        mail.html,
      );
    }
    const without = renderer.email('signature-outcome', 'en', { name: 'A', deal: 'D', outcome: 'failed', text: 'x' });
    assert.equal(without.text.includes('Verify this document'), false);
  });

  it('ends the timeline comment of a signature', () => {
    const facts = {
      signer: 'anna',
      signerUserId: 7,
      certificate: 'CN=Anna',
      otp: 'used' as const,
      fileId: '42',
      dealId: 5,
      requestId: 'r-1',
      verifyUrl: 'https://sign.example.com/verify',
    };
    assert.match(signedComment(facts, 'ru'), /\nПроверить документ: \[URL=https:\/\/sign\.example\.com\/verify\]/);
    assert.match(signedComment(facts, 'en'), /\nVerify this document: \[URL=https:\/\/sign\.example\.com\/verify\]/);
  });
});
