/**
 * English texts that tell choices apart: the certificates of the Sign dialog, the approval page and the
 * panel (an administrator's name for a certificate, else subject, issuer, short serial, where the key is and
 * validity), and the deal's files by name. Spread into en.ts; ru-choices.ts mirrors the keys.
 */
export const enChoices = {
  choices: {
    certNamed: '{name} (serial {serial}, valid until {expires})',
    certDescribed: '{subject}, serial {serial}, {where}, valid until {expires}, issued by {issuer}',
    certOnToken: 'token "{label}"',
    certInternal: 'internal CA',
    certDefault: 'default',
    certDefaultMark: '{label} — {default}',
    fileNotPdf: '{name} (not a PDF)',
    fileUnreadable: '{name} (could not be read)',
    fileNoName: 'file {id} in "{field}"',
    codeAfterChoice: 'Choose a file, a certificate and a position first; then the code field opens.',
  },
};
