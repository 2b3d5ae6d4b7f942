/**
 * What an app page, the UI install page and a placement receive: a browser form POST with `DOMAIN`,
 * `PROTOCOL`, `LANG`, `APP_SID` in the query and the rest in the body [bitrix24.md §1.3, §5.3; doc
 * `api-reference/widgets/_includes/widget_data.md`]:
 * `AUTH_ID`, `AUTH_EXPIRES`, `REFRESH_ID` (tokens of the user who opened it), `SERVER_ENDPOINT`,
 * `APPLICATION_TOKEN`, `APPLICATION_SCOPE`, `member_id` (lower case), `status`, `PLACEMENT`, and
 * `PLACEMENT_OPTIONS` as a JSON string (not nested form fields).
 *
 * `PROTOCOL` is `0` (http) because that is how this portal is really served. `DOMAIN` is the portal's
 * configured domain, which does not resolve: REST goes to the `client_endpoint` the app stored for the
 * `member_id` (what the reference recommends); code that builds `https://<DOMAIN>/rest/` fails here.
 */
import { randomBytes } from 'node:crypto';
import { type EmulatorCore, serverEndpoint } from './emulator-core.js';
import type { PortalState, PortalUser } from './portal-state.js';

/** Query and body of one iframe POST. */
export interface FramePost {
  query: Record<string, string>;
  fields: Record<string, string>;
}

/** Builds the POST for `user` opening `placement` (`DEFAULT` for the app page) with fresh tokens. */
export function buildFramePost(
  core: EmulatorCore,
  portal: PortalState,
  user: PortalUser,
  placement: string,
  placementOptions: Record<string, unknown>,
): FramePost {
  const grant = core.tokens.issue(portal.memberId, user.id, portal.identity.app.clientId, portal.identity.scope);
  return {
    query: {
      DOMAIN: portal.domain,
      PROTOCOL: '0',
      LANG: user.language,
      APP_SID: randomBytes(16).toString('hex'),
    },
    fields: {
      AUTH_ID: grant.accessToken,
      AUTH_EXPIRES: String(Math.round((grant.expiresAtMs - core.now()) / 1000)),
      REFRESH_ID: grant.refreshToken,
      SERVER_ENDPOINT: serverEndpoint(core),
      APPLICATION_TOKEN: portal.applicationToken,
      APPLICATION_SCOPE: portal.identity.scope.join(','),
      member_id: portal.memberId,
      status: portal.identity.status,
      PLACEMENT: placement,
      PLACEMENT_OPTIONS: phpJson(placementOptions),
    },
  };
}

/** PHP `json_encode`: an empty array is `[]` and `/` is escaped, as in the docs' `"URI":"\/crm\/deal\/…"`. */
function phpJson(value: Record<string, unknown>): string {
  return Object.keys(value).length === 0 ? '[]' : JSON.stringify(value).replace(/\//g, '\\/');
}
