/**
 * Test support: a protocol-accurate Bitrix24 portal emulator, built from `reference/bitrix24.md` (see this
 * folder's README for which statement each behaviour follows). One node:http server on 127.0.0.1 and a random
 * port hosts several portals under `/<domain>/`, the OAuth server at the root, and sends the portal's
 * outbound POSTs (install, update, uninstall, robot calls, placements) to the app under test.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type EventDelivery,
  type InstallOptions,
  type InstallResult,
  installApp,
  type UninstallOptions,
  uninstallApp,
  updateApp,
} from './app-lifecycle.js';
import { type EmulatorCore, type RecordedRequest, serverEndpoint, tokenEndpoint } from './emulator-core.js';
import { createPortal, type PortalEmulatorOptions, type PortalSeed, settingsFrom } from './emulator-options.js';
import { FaultInjector } from './fault-injector.js';
import { routeRequest } from './http-routes.js';
import { TokenStore } from './oauth-tokens.js';
import {
  type LaunchSpec,
  type OpenPlacementOptions,
  openPlacement,
  type PlacementOpen,
  registerLauncher,
} from './open-placement.js';
import { PortalHandle } from './portal-handle.js';
import type { PortalState } from './portal-state.js';
import { type RobotRun, type RunRobotOptions, runRobot } from './run-robot.js';

/** A portal, by domain or handle. */
export type PortalRef = string | PortalHandle;

/** A running emulator. */
export interface PortalEmulator {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** The OAuth server's REST root, `<origin>/rest/` (what `server_endpoint` says). */
  readonly serverEndpoint: string;
  /** `<origin>/oauth/token/` */
  readonly tokenEndpoint: string;
  /** Fault injection across portals (each portal handle has a scoped `faults` too). */
  readonly faults: FaultInjector;
  portal(domain: string): PortalHandle;
  portals(): PortalHandle[];
  addPortal(seed: PortalSeed): PortalHandle;
  /** Every request received, oldest first, with arrival time and outcome. */
  requests(): RecordedRequest[];
  installApp(portal: PortalRef, handlerUrl: string, options?: InstallOptions): Promise<InstallResult>;
  updateApp(portal: PortalRef, options?: { version?: number }): Promise<EventDelivery[]>;
  uninstallApp(portal: PortalRef, options?: UninstallOptions): Promise<EventDelivery[]>;
  runRobot(portal: PortalRef, code: string, options: RunRobotOptions): Promise<RobotRun>;
  openPlacement(
    portal: PortalRef,
    placement: string,
    userId: number,
    options?: OpenPlacementOptions,
  ): Promise<PlacementOpen>;
  /** A page of the emulator that loads the placement into an iframe by a form POST, for browser tests. */
  placementLauncherUrl(portal: PortalRef, placement: string, userId: number, options?: OpenPlacementOptions): string;
  /** A page of the emulator that opens the app's main page (`PLACEMENT=DEFAULT`, posted to `appUrl`) as `userId`. */
  appPageLauncherUrl(portal: PortalRef, userId: number, appUrl: string): string;
  close(): Promise<void>;
}

/** Starts the emulator; call `close()` in `after`. */
export async function startPortalEmulator(options: PortalEmulatorOptions = {}): Promise<PortalEmulator> {
  const settings = settingsFrom(options);
  const now = options.now ?? Date.now;
  const portals = new Map<string, PortalState>();
  const handles = new Map<string, PortalHandle>();
  const launchers = new Map<string, LaunchSpec>();
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const core: EmulatorCore = {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    settings,
    tokens: new TokenStore(
      { accessMs: settings.accessTokenTtlMs, refreshMs: settings.refreshTokenTtlMs, codeMs: settings.authCodeTtlMs },
      now,
    ),
    faults: new FaultInjector(now),
    log: [],
    now,
    portals: () => [...portals.values()],
    portalByDomain: (domain) => portals.get(domain.toLowerCase()),
    portalByMemberId: (memberId) => [...portals.values()].find((portal) => portal.memberId === memberId),
  };
  server.on('request', (req, res) => {
    routeRequest(core, launchers, req, res).catch((error: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`emulator error: ${error.stack ?? error.message}`);
    });
  });

  const addPortal = (seed: PortalSeed): PortalHandle => {
    const state = createPortal(seed, options, settings);
    if (portals.has(state.domain)) throw new Error(`portal ${state.domain} exists already`);
    portals.set(state.domain, state);
    const handle = new PortalHandle(core, state);
    handles.set(state.domain, handle);
    return handle;
  };
  for (const seed of options.portals ?? [{ domain: 'portal-a.bitrix24.test' }]) addPortal(seed);

  const stateOf = (ref: PortalRef): PortalState => {
    const domain = typeof ref === 'string' ? ref.toLowerCase() : ref.domain;
    const state = portals.get(domain);
    if (state === undefined) throw new Error(`no portal ${domain} (have: ${[...portals.keys()].join(', ')})`);
    return state;
  };

  return {
    origin: core.origin,
    serverEndpoint: serverEndpoint(core),
    tokenEndpoint: tokenEndpoint(core),
    faults: core.faults,
    portal: (domain) => handles.get(stateOf(domain).domain) as PortalHandle,
    portals: () => [...handles.values()],
    addPortal,
    requests: () => [...core.log],
    installApp: (ref, handlerUrl, installOptions) => installApp(core, stateOf(ref), handlerUrl, installOptions),
    updateApp: (ref, updateOptions) => updateApp(core, stateOf(ref), updateOptions),
    uninstallApp: (ref, uninstallOptions) => uninstallApp(core, stateOf(ref), uninstallOptions),
    runRobot: (ref, code, robotOptions) => runRobot(core, stateOf(ref), code, robotOptions),
    openPlacement: (ref, placement, userId, placementOptions) =>
      openPlacement(core, stateOf(ref), placement, userId, placementOptions),
    placementLauncherUrl: (ref, placement, userId, placementOptions = {}) =>
      registerLauncher(core, launchers, { portal: stateOf(ref).domain, placement, userId, options: placementOptions }),
    appPageLauncherUrl: (ref, userId, appUrl) =>
      registerLauncher(core, launchers, {
        portal: stateOf(ref).domain,
        placement: 'DEFAULT',
        userId,
        options: {},
        appUrl,
      }),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
