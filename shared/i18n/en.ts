/**
 * English texts of the pages and e-mails. `{name}` marks a value filled in by the `fmt` template helper
 * (escaped there). Keys mirror ru.ts; the Messages type makes the compiler check that both are complete.
 */
import { enBatch } from './en-batch.js';
import { enChoices } from './en-choices.js';
import { enSigning, enSigningMail } from './en-signing.js';
import { enVerify } from './en-verify.js';

export const en = {
  product: 'SignService',
  page: {
    footer: 'SignService: PDF signatures for Bitrix24',
    otherLanguage: 'Русский',
  },
  enroll: {
    title: 'Set up your one-time codes',
    intro: 'This page sets up the authenticator app for account {login}. It works once and until {expires}.',
    keepPrivate: 'Whoever sees the QR code or the key below can create your codes: do not share this page.',
    step1:
      'Install FreeOTP on your phone (Google Play, App Store or F-Droid). Google Authenticator, Microsoft Authenticator or Aegis work as well.',
    step2: 'In FreeOTP tap the QR-code button at the top and point the camera at the code below.',
    step3:
      'FreeOTP now lists "{issuer}" with a 6-digit code that changes every 30 seconds. Type the code shown now and press Confirm.',
    qrAlt: 'QR code for the authenticator app',
    manualTitle: 'Cannot scan the code? Enter the key by hand',
    manualHint:
      'In FreeOTP tap the key button (add manually) and fill in: issuer, account, the key below; type TOTP, algorithm SHA1, 6 digits, interval 30 seconds.',
    issuerLabel: 'Issuer',
    accountLabel: 'Account',
    keyLabel: 'Key',
    codeLabel: 'Code from the app',
    submit: 'Confirm',
    wrongCode: 'That code does not match. Check that the phone shows the correct time, then type the code shown now.',
    revealIntro:
      'Open this page on your computer with your phone at hand. The key is made only when you press the button, and each press makes a new one: use the last one shown.',
    reveal: 'Show my key',
    revealHint: 'Nothing is set up until you confirm a code from the app.',
    newKey: 'Show a new key',
    newKeyHint: 'Scanning did not work or someone else saw this key? Make a new one; the key above stops working.',
    staleKey: 'A newer key was shown for this link (in another tab or window). Scan the key below and type its code.',
  },
  done: {
    title: 'Your authenticator is set up',
    text: 'Account {login} now confirms every signature with a code from your authenticator app. You can close this page.',
    hint: 'Keep the app on your phone: you will type its current code each time you sign a document.',
  },
  errors: {
    ENROLLMENT_LINK_USED: {
      title: 'This link was used already',
      text: 'Each enrollment link works only once. If you did not set up the authenticator yourself, tell the administrator at once.',
    },
    ENROLLMENT_LINK_EXPIRED: {
      title: 'This link has expired',
      text: 'Enrollment links are valid for a limited time. Ask the administrator to send you a new one.',
    },
    ENROLLMENT_LINK_REPLACED: {
      title: 'This link was replaced',
      text: 'A newer enrollment link was made for this account (or the administrator reset its authenticator), so this one no longer works. Open the newest link you received, or ask the administrator for a new one.',
    },
    ENROLLMENT_LINK_INVALID: {
      title: 'Unknown link',
      text: 'This enrollment link is not known. Check that the whole link was copied, or ask the administrator for a new one.',
    },
    NOT_FOUND: { title: 'Page not found', text: 'There is nothing at this address.' },
    SIGN_REQUEST_NOT_FOUND: {
      title: 'Unknown approval link',
      text: 'This approval link is not known. Open it again from the e-mail or the Bitrix24 notification.',
    },
    B24_FORBIDDEN: {
      title: 'Not from your Bitrix24',
      text: 'This page opens only from the Bitrix24 portal that has the app installed. Open it again from the deal.',
    },
    B24_INVALID_PAYLOAD: {
      title: 'Incomplete request from Bitrix24',
      text: 'Bitrix24 did not send what this page needs. Open it again from the deal.',
    },
    INVALID_ARGUMENT: { title: 'The request is not valid', text: 'Go back, reload the page and try again.' },
    CSRF_REJECTED: {
      title: 'Not sent from this page',
      text: 'SignService accepts this only from its own page. Nothing was changed. Open the page again from the e-mail or from Bitrix24 and try once more.',
    },
    APPROVAL_CLOSED: {
      title: 'This request is closed',
      text: 'The request was decided or has expired, so its document is no longer shown here. Open the approval link to see how it ended.',
    },
    TOO_MANY_REQUESTS: { title: 'Too many requests', text: 'Please wait a few seconds and try again.' },
    BATCH_CHANGED: {
      title: 'The list has changed',
      text: 'The documents are no longer the ones the confirmation listed, or it was open too long. Nothing was signed. Open the list again.',
    },
    BATCH_TOO_LARGE: {
      title: 'Too many documents',
      text: 'One code signs a limited number of documents at once. Nothing was signed. Choose fewer documents.',
    },
    B24_APP_NOT_CONFIGURED: {
      title: 'The Bitrix24 app is not set up',
      text: 'The administrator of SignService has not entered the keys of the Bitrix24 application yet, so SignService cannot work with Bitrix24. Tell the administrator: B24_CLIENT_ID and B24_CLIENT_SECRET have to be set.',
    },
    GENERIC: {
      title: 'Something went wrong',
      text: 'The request could not be completed. Try again later; if it keeps failing, tell the administrator.',
    },
  },
  ...enSigning,
  ...enBatch,
  ...enVerify,
  ...enChoices,
  mail: {
    ...enSigningMail,
    enrollment: {
      subject: 'Set up one-time codes for signing ({login})',
      greeting: 'Hello,',
      intro:
        'the administrator of {issuer} has prepared account {login} for signing documents. Every signature is confirmed with a one-time code from an app on your phone.',
      action: 'Set up the authenticator',
      linkHint: 'If the button does not work, open this address in your browser:',
      expires: 'The link works once and until {expires}.',
      howtoTitle: 'How to set up FreeOTP',
      howto1: 'Install FreeOTP on your phone (Google Play, App Store or F-Droid).',
      howto2: 'Open the link above on your computer and scan the QR code with FreeOTP.',
      howto3: 'Type the 6-digit code FreeOTP shows and press Confirm.',
      ignore: 'If you did not expect this e-mail, do not open the link and tell your administrator.',
    },
    'lockout-admin': {
      subject: 'Signing account {login} is locked after wrong codes',
      greeting: 'Hello,',
      text: 'there were too many wrong one-time codes for account {login}, so signing with it is locked until {until}. The account holder has been told.',
      where: 'Portal: {portal}.',
      hint: 'If the account holder did not type these codes, someone may have their approval link or is guessing codes. You can unlock the account earlier: signservice account unlock {login}.',
    },
    lockout: {
      subject: 'Account {login} is locked after wrong codes',
      greeting: 'Hello,',
      text: 'there were too many wrong one-time codes for account {login}, so signing with it is locked until {until}.',
      unlock: 'After that time you can sign again. The administrator can unlock the account earlier.',
      warning:
        'If you did not type these codes yourself, somebody may be trying to sign in your name: tell the administrator.',
    },
  },
};

/** The shape every language file has. */
export type Messages = typeof en;
