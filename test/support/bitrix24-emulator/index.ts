/** The Bitrix24 portal emulator for tests (see README.md in this folder). */
export type { EventDelivery, InstallOptions, InstallResult, UninstallOptions } from './app-lifecycle.js';
export type { DealSeed, DealSnapshot } from './deal-seed.js';
export type { RecordedRequest } from './emulator-core.js';
export type { PortalEmulatorOptions, PortalSeed, UserSeed } from './emulator-options.js';
export type { FaultKind, FaultPlan, InjectedFault } from './fault-injector.js';
export { DEFAULT_RATE_LIMIT, leakyBucketPeak, type RateLimit } from './leaky-bucket.js';
export type { AccessGrant } from './oauth-tokens.js';
export type { OpenPlacementOptions, PlacementOpen } from './open-placement.js';
export { buildPhpQuery, parsePhpForm } from './php-form.js';
export type { PortalFaults, PortalHandle, Registrations } from './portal-handle.js';
export type { PortalUser, TimelineComment, WorkflowStep } from './portal-state.js';
export type { AppResponse } from './post-form.js';
export type { RobotRun, RunRobotOptions } from './run-robot.js';
export { type PortalEmulator, type PortalRef, startPortalEmulator } from './start-portal-emulator.js';
