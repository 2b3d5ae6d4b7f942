/**
 * Meta-test: every GET route of the activity app that renders HTML has axe states (page-states.ts), and
 * the tests named there do run axe-core. A new page without an axe test fails here.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { appGetRoutes } from './html-routes.js';
import { HTML_PAGES, NOT_HTML, POSTED_PAGES } from './page-states.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('every page has an axe test (meta-test over the Koa routers)', () => {
  it('each GET route is either a listed page or plainly not HTML', async () => {
    const routes = await appGetRoutes();
    assert.ok(routes.includes('/verify') && routes.includes('/enroll/:token'), `the walk found the routers: ${routes}`);
    const pages = routes.filter((r) => !NOT_HTML.some((pattern) => pattern.test(r)));
    const missing = pages.filter((r) => !(r in HTML_PAGES));
    assert.deepEqual(missing, [], 'GET routes that render HTML without axe states in test/a11y/page-states.ts');
    const gone = Object.keys(HTML_PAGES).filter((p) => !routes.includes(p));
    assert.deepEqual(gone, [], 'pages listed in page-states.ts that the app no longer has');
  });

  it('the tests named for each page exist and run axe-core', () => {
    for (const [route, { visitedBy, states }] of Object.entries({ ...HTML_PAGES, ...POSTED_PAGES })) {
      const file = path.join(ROOT, visitedBy);
      assert.ok(fs.existsSync(file), `${route}: ${visitedBy} exists`);
      assert.match(fs.readFileSync(file, 'utf8'), /assertAxeClean|await axe\(/, `${route}: ${visitedBy} runs axe`);
      assert.ok(states.length > 0, `${route} has states`);
    }
  });
});
