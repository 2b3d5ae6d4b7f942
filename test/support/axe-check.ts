/**
 * axe-core in headless Chromium: runs the WCAG 2.0/2.1 A and AA rules on a page or a frame (the Sign dialog
 * lives in the portal's iframe) and fails with each violation's rule, impact and elements. The script is
 * evaluated through the DevTools protocol, so the page's CSP (script-src 'self') stays as it is.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Frame, Page } from 'playwright-core';

const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string;
  nodes: { target: unknown }[];
}

/** Asserts that axe finds no WCAG 2.1 A/AA violation on `target`; `what` names the state checked. */
export async function assertAxeClean(target: Page | Frame, what: string): Promise<void> {
  await target.evaluate(AXE_SOURCE);
  const violations = await target.evaluate(async () => {
    const w = globalThis as unknown as {
      axe: { run(o: unknown): Promise<{ violations: AxeViolation[] }> };
    };
    const r = await w.axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => `${v.id} [${v.impact}] ${JSON.stringify(v.nodes.map((n) => n.target).slice(0, 5))}`);
  });
  assert.deepEqual(violations, [], `axe on ${what}`);
}
