/**
 * Every page of the activity app and the states in which axe-core checks it (WCAG 2.1 A/AA, ru and en,
 * 375 px and 1280 px), with the test that visits them. The meta-test (html-routes.test.ts) fails when the
 * app gains a GET route that renders HTML and is not listed here; pages-axe.browser.test.ts fails when it
 * did not visit every state listed for it.
 */

export const AXE_TEST = 'test/a11y/pages-axe.browser.test.ts';

export interface PageStates {
  states: readonly string[];
  /** The test file that runs axe on these states (in both languages, at 375 px and desktop width). */
  visitedBy: string;
}

/** GET routes that render HTML, by their router path. */
export const HTML_PAGES: Record<string, PageStates> = {
  '/enroll/:token': {
    states: [
      'enroll-form',
      'enroll-key',
      'enroll-wrong-code',
      'enroll-done',
      'enroll-used-link',
      'enroll-unknown-link',
    ],
    visitedBy: AXE_TEST,
  },
  '/verify': { states: ['verify-empty', 'verify-not-pdf', 'verify-signed'], visitedBy: AXE_TEST },
  '/b24/approve/:token': {
    states: ['approval-open', 'approval-wrong-code', 'approval-decided', 'approval-bad-link'],
    visitedBy: AXE_TEST,
  },
  '/b24/approve/:token/waiting': { states: ['approval-waiting-list'], visitedBy: AXE_TEST },
  // The list, the confirmation, the progress and its error state, en and ru, 375 px.
  '/b24/approve/:token/batch/:batchId': {
    states: ['batch-confirm', 'batch-progress', 'batch-error'],
    visitedBy: 'test/b24ui/batch-approval.browser.test.ts',
  },
  // The sign-in page and every panel page (accounts, certificates, sign log, requests, tokens, portals), en and ru, 375 px.
  '/admin': { states: ['panel-sign-in', 'panel-pages'], visitedBy: 'test/admin/panel.browser.test.ts' },
};

/** Pages a POST renders (the Sign dialog is the deal card's placement, posted by Bitrix24). */
export const POSTED_PAGES: Record<string, PageStates> = {
  '/b24/placement/sign': {
    states: ['sign-dialog-no-files', 'sign-dialog-open', 'sign-dialog-wrong-code', 'sign-dialog-signed'],
    visitedBy: AXE_TEST,
  },
};

/**
 * GET routes that answer something other than a page: JSON APIs and status polls, downloads, images, the
 * CA's publication, static assets. A path that matches none of these and is not in HTML_PAGES fails the
 * meta-test: a new page must get its axe states.
 */
export const NOT_HTML = [
  /^\/api\//,
  /^\/static\//,
  /^\/ca\//,
  /^\/admin\/texts\//,
  /\/(status|progress)(\/|$)/,
  /\.(pdf|png|txt|crl|crt|pem|json)$/,
];
