/**
 * English texts of batch signing: the approval page's "Waiting for me" list, its confirmation step and the
 * progress of a batch, and what the Sign dialog says when it signs several files. Numbers go through
 * plural.ts (`PluralForms`); ru-batch.ts mirrors the keys with Russian's three forms.
 */
import type { PluralForms } from './plural.js';

const forms = (one: string, other: string): PluralForms => ({ one, other });

export const enBatch = {
  batch: {
    waitingTitle: 'Waiting for my signature',
    waitingCount: forms(
      '{signer}, {count} document waits for your signature.',
      '{signer}, {count} documents wait for your signature.',
    ),
    howTo:
      'Tick the documents you want to sign. The next step shows the list again; one one-time code then signs exactly those documents, each as its own signature.',
    none: 'No document waits for your signature now.',
    selectAll: 'Select all',
    tableCaption: 'Documents waiting for your signature',
    colDeadline: 'Decide by',
    dealLabel: 'Deal “{deal}”',
    open: 'Read it',
    capNote: forms(
      'One code signs at most {count} document at once.',
      'One code signs at most {count} documents at once.',
    ),
    review: 'Review the selected documents',
    fromApproval: forms('{count} document waits for your signature.', '{count} documents wait for your signature.'),
    fromApprovalLink: 'See them all and sign several with one code',
    confirmTitle: forms('Sign {count} document', 'Sign {count} documents'),
    confirmIntro:
      'Check the list. One one-time code signs exactly these documents, each as its own signature with its own entry in the sign log. A document that arrives after this list was shown is not included.',
    listCaption: 'The documents this code signs',
    submit: forms('Sign {count} document', 'Sign {count} documents'),
    back: 'Back to the list',
    progressTitle: 'Signing the documents',
    progressCount: '{done} of {total} done',
    progressLabel: 'Progress of the batch',
    summarySigned: forms('{count} document signed.', '{count} documents signed.'),
    summaryFailed: forms('{count} document was not signed.', '{count} documents were not signed.'),
    refresh: 'Show the current state',
    states: {
      approved: 'Queued for signing…',
      signing: 'Signing…',
      signed: 'Saving the signed file to the deal…',
      delivered: 'Recording the signature…',
      completed: 'Signed.',
      failed: 'Not signed: {reason}',
      rejected: 'Rejected.',
      expired: 'Expired before it was signed.',
      awaiting_signer: 'Still waiting for your signature.',
      received: 'Still waiting for your signature.',
    },
    skippedCount: forms(
      '{count} document was not signed: it no longer waited for your signature.',
      '{count} documents were not signed: they no longer waited for your signature.',
    ),
    openSigned: 'Open the signed file',
    backToList: 'Back to the documents waiting for me',
    linkExpired: 'This link has expired. Open the list from a more recent e-mail or Bitrix24 notification.',
  },
  dialogBatch: {
    filesLegend: 'Documents',
    filesHint:
      'Tick one or several files. Each one is signed as its own document, with the same certificate, code and stamp position.',
    noneChosen: 'Choose at least one document.',
    successMany: forms(
      '{count} document signed. The signed PDF has replaced the original on the deal.',
      '{count} documents signed. The signed PDFs have replaced the originals on the deal.',
    ),
    partly: '{done} of {total} signed; the others failed (see each file).',
    progressCount: '{done} of {total} done',
  },
};
