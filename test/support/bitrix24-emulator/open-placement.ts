/**
 * A user opening a bound placement (e.g. the "Sign" item of `CRM_DEAL_DETAIL_TOOLBAR`): the browser form POST
 * into the app's iframe [bitrix24.md §5.3]. `openPlacement` sends it server-side and returns the app's raw
 * answer; `placementLauncherUrl` gives a page of the emulator that does the same from a real browser: an
 * outer page with an `<iframe>` and an auto-submitting form targeting it, as the portal's deal card does, so
 * an app that forbids framing fails there as it would in Bitrix24. The app's main page (the app in the
 * portal's menu, §1.3 `PLACEMENT=DEFAULT`) is launched the same way; its URL is the app's own, registered
 * with the app rather than bound with `placement.bind`.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { EmulatorCore } from './emulator-core.js';
import { buildFramePost, type FramePost } from './frame-post.js';
import { escapeHtml, sendHtml } from './http-io.js';
import type { PlacementBinding, PortalState } from './portal-state.js';
import { type AppResponse, postForm } from './post-form.js';

/** Which placement, for whom, on what. */
export interface OpenPlacementOptions {
  /** Deal id for `PLACEMENT_OPTIONS.ID` (deal placements). */
  dealId?: number;
  /** Extra or replacing `PLACEMENT_OPTIONS` keys. */
  placementOptions?: Record<string, unknown>;
  /** Pick one of several handlers bound to the placement. */
  handler?: string;
}

/** What was posted and the app's answer. */
export interface PlacementOpen {
  post: FramePost;
  response: AppResponse;
}

/** A launcher page registered with the emulator. */
export interface LaunchSpec {
  portal: string;
  placement: string;
  userId: number;
  options: OpenPlacementOptions;
  /** The app's main page (`PLACEMENT=DEFAULT`): posted to this URL instead of a bound handler. */
  appUrl?: string;
}

function binding(portal: PortalState, placement: string, handler: string | undefined): PlacementBinding {
  const found = portal.placements.find(
    (p) => !p.private && p.placement === placement.toUpperCase() && (handler === undefined || p.handler === handler),
  );
  if (found === undefined)
    throw new Error(`placement ${placement} is not bound on ${portal.domain} (placement.bind first)`);
  return found;
}

function postFor(core: EmulatorCore, portal: PortalState, spec: Omit<LaunchSpec, 'portal'>): FramePost {
  // For deals the options carry the deal id as a string: {"ID":"8061"} [doc widget_data].
  const options: Record<string, unknown> = spec.options.dealId === undefined ? {} : { ID: String(spec.options.dealId) };
  Object.assign(options, spec.options.placementOptions);
  return buildFramePost(core, portal, portal.user(spec.userId), spec.placement.toUpperCase(), options);
}

/** POSTs the placement to its bound handler as `userId` would open it. */
export async function openPlacement(
  core: EmulatorCore,
  portal: PortalState,
  placement: string,
  userId: number,
  options: OpenPlacementOptions = {},
): Promise<PlacementOpen> {
  const { handler } = binding(portal, placement, options.handler);
  const post = postFor(core, portal, { placement, userId, options });
  const response = await postForm(handler, post.fields, {
    query: post.query,
    timeoutMs: core.settings.outboundTimeoutMs,
    userAgent: 'Mozilla/5.0',
  });
  return { post, response };
}

/** Registers a launcher and returns its URL on the emulator. */
export function registerLauncher(core: EmulatorCore, launchers: Map<string, LaunchSpec>, spec: LaunchSpec): string {
  const portal = core.portalByDomain(spec.portal);
  if (portal === undefined) throw new Error(`no portal ${spec.portal}`);
  if (spec.appUrl === undefined) binding(portal, spec.placement, spec.options.handler);
  portal.user(spec.userId);
  const id = randomBytes(12).toString('hex');
  launchers.set(id, spec);
  return `${core.origin}/_emulator/launch/${id}`;
}

/** Serves a launcher page; every load issues fresh tokens and a new APP_SID, like opening the card again. */
export function serveLauncher(core: EmulatorCore, spec: LaunchSpec | undefined, res: ServerResponse): void {
  const portal = spec === undefined ? undefined : core.portalByDomain(spec.portal);
  if (spec === undefined || portal === undefined) {
    sendHtml(res, 404, '<!doctype html><title>Not found</title>');
    return;
  }
  const handler = spec.appUrl ?? binding(portal, spec.placement, spec.options.handler).handler;
  const post = postFor(core, portal, spec);
  const action = new URL(handler);
  for (const [key, value] of Object.entries(post.query)) action.searchParams.set(key, value);
  const inputs = Object.entries(post.fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  sendHtml(
    res,
    200,
    `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(portal.domain)}: ${escapeHtml(spec.placement)}</title>
<style>html,body{margin:0;height:100%}iframe{border:0;width:100%;height:100%}</style></head>
<body>
<iframe name="app-frame" id="app-frame"></iframe>
<form id="launch" method="post" target="app-frame" action="${escapeHtml(action.toString())}">
${inputs}
</form>
<script>document.getElementById('launch').submit();</script>
</body></html>`,
  );
}
