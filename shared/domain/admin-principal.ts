/**
 * Who is calling the admin API, as proven by the server (never by what a browser says): an operator
 * (panel session after password + TOTP, or the CLI on the host), a script (a hashed, revocable API token),
 * a portal administrator (Bitrix24 `user.admin` confirmed with the posted AUTH_ID) or an ordinary portal
 * user (My signing only). DESIGN §3 "Authority". A portal user's `timeZone` is their Bitrix24 TIME_ZONE.
 */
export type ApiTokenScope = 'read' | 'admin';

export type Principal =
  | { kind: 'operator'; login: string }
  | { kind: 'token'; tokenId: string; name: string; scope: ApiTokenScope; memberId?: string }
  | { kind: 'portal-admin'; memberId: string; userId: number; name: string; timeZone?: string }
  | { kind: 'portal-user'; memberId: string; userId: number; name: string; email?: string; timeZone?: string };

/** The portal a principal is confined to; undefined = every portal (operators, unscoped tokens). */
export function portalScopeOf(principal: Principal): string | undefined {
  if (principal.kind === 'operator') return undefined;
  return principal.memberId;
}

/** How a principal is named in the sign log (`actor`), so every change says who made it. */
export function signLogActorOf(principal: Principal): {
  role: string;
  login?: string;
  memberId?: string;
  userId?: number;
} {
  switch (principal.kind) {
    case 'operator':
      return { role: 'operator', login: principal.login };
    case 'token':
      return {
        role: 'api-token',
        login: principal.name,
        ...(principal.memberId ? { memberId: principal.memberId } : {}),
      };
    case 'portal-admin':
      return { role: 'portal-admin', login: principal.name, memberId: principal.memberId, userId: principal.userId };
    case 'portal-user':
      return { role: 'signer', login: principal.name, memberId: principal.memberId, userId: principal.userId };
  }
}
