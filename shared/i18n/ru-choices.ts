/** Russian texts that tell choices apart (certificates and files); keys mirror en-choices.ts. */
import type { enChoices } from './en-choices.js';

export const ruChoices: typeof enChoices = {
  choices: {
    certNamed: '{name} (№ {serial}, действует до {expires})',
    certDescribed: '{subject}, № {serial}, {where}, действует до {expires}, издатель: {issuer}',
    certOnToken: 'токен «{label}»',
    certInternal: 'внутренний УЦ',
    certDefault: 'по умолчанию',
    certDefaultMark: '{label} — {default}',
    fileNotPdf: '{name} (не PDF)',
    fileUnreadable: '{name} (не удалось прочитать)',
    fileNoName: 'файл {id} в поле «{field}»',
    codeAfterChoice: 'Сначала выберите файл, сертификат и место штампа — затем откроется поле для кода.',
  },
};
