/**
 * The test-facing API of one portal: seed users and deals, read back what the app did (files, timeline,
 * `bizproc.event.send` calls, logs, notifications, registrations, requests) and steer it (faults, token
 * expiry, install finish, workflow termination).
 */

import { type DealSeed, type DealSnapshot, defineFileField, seedDeal, snapshotDeal } from './deal-seed.js';
import {
  clientEndpoint,
  type EmulatorCore,
  portalBaseUrl,
  type RecordedRequest,
  serverEndpoint,
} from './emulator-core.js';
import { addUser, type UserSeed } from './emulator-options.js';
import type { FaultKind, FaultPlan, InjectedFault } from './fault-injector.js';
import type { AccessGrant } from './oauth-tokens.js';
import type {
  ActivityLogRecord,
  ActivityRegistration,
  EventBinding,
  EventSendCall,
  NotificationRecord,
  PlacementBinding,
  PortalState,
  PortalUser,
  TimelineComment,
  UserField,
  WorkflowStep,
} from './portal-state.js';

/** What the app registered. */
export interface Registrations {
  robots: ActivityRegistration[];
  activities: ActivityRegistration[];
  placements: PlacementBinding[];
  events: EventBinding[];
}

/** Fault controls bound to one portal. */
export interface PortalFaults {
  set(plan: Omit<FaultPlan, 'portal'>): void;
  nextCall(method: string, kind: FaultKind, when?: (params: Record<string, unknown>) => boolean): void;
  clear(): void;
  injected(): InjectedFault[];
}

/** One portal, for tests. */
export class PortalHandle {
  /** Fault injection limited to this portal. */
  readonly faults: PortalFaults;

  constructor(
    private readonly core: EmulatorCore,
    /** The raw state, for assertions the accessors do not cover. */
    readonly state: PortalState,
  ) {
    const domain = state.domain;
    this.faults = {
      set: (plan) => core.faults.set({ ...plan, portal: domain }),
      nextCall: (method, kind, when) =>
        core.faults.nextCall(method, kind, { portal: domain, ...(when ? { when } : {}) }),
      clear: () => core.faults.clear(domain),
      injected: () => core.faults.injected().filter((fault) => fault.portal === domain),
    };
  }

  get domain(): string {
    return this.state.domain;
  }
  get memberId(): string {
    return this.state.memberId;
  }
  get clientId(): string {
    return this.state.identity.app.clientId;
  }
  get clientSecret(): string {
    return this.state.identity.app.clientSecret;
  }
  /** The current `application_token` (it changes on update). */
  get applicationToken(): string {
    return this.state.applicationToken;
  }
  /** `<origin>/<domain>` */
  get baseUrl(): string {
    return portalBaseUrl(this.core, this.state);
  }
  get clientEndpoint(): string {
    return clientEndpoint(this.core, this.state);
  }
  get serverEndpoint(): string {
    return serverEndpoint(this.core);
  }

  /** Adds a user (ids count up from 2; user 1 is the installing admin). */
  createUser(seed: UserSeed): PortalUser {
    return { ...addUser(this.state, seed) };
  }

  /**
   * Changes a user: `admin` is the portal-administrator flag behind `user.admin` / `profile.ADMIN`; an inactive
   * user's tokens are refused (`invalid_token`). Returns a copy of the user as changed.
   */
  updateUser(id: number, change: { admin?: boolean; active?: boolean }): PortalUser {
    const user = this.state.user(id);
    if (change.admin !== undefined) user.admin = change.admin;
    if (change.active !== undefined) user.active = change.active;
    return { ...user };
  }

  /** All users, copies. */
  users(): PortalUser[] {
    return [...this.state.users.values()].map((user) => ({ ...user }));
  }

  /**
   * Makes every REST call of this portal wait `ms` before it runs (0: none) — a slow portal, so that calls
   * sent at about the same time (two processes reading one deal) are all in flight together.
   */
  setLatency(ms: number): void {
    this.state.latencyMs = ms;
  }

  /** Defines a deal file field (`USER_TYPE_ID = file`). */
  addFileField(fieldName: string, options: { multiple: boolean; label?: string }): UserField {
    return defineFileField(this.state, fieldName, options);
  }

  /** Creates a deal with files; unknown file fields are created as multiple fields. */
  createDeal(seed: DealSeed): DealSnapshot {
    return seedDeal(this.state, seed, this.core.now());
  }

  /** The deal as it is now, with the bytes of the files its fields hold. */
  getDeal(id: number): DealSnapshot | undefined {
    return snapshotDeal(this.state, id);
  }

  /** Bytes of any file the portal ever stored (deleted ones included), or undefined. */
  fileBytes(fileId: number): Buffer | undefined {
    const file = this.state.files.get(fileId);
    return file === undefined ? undefined : Buffer.from(file.bytes);
  }

  /** True when the file was deleted (replaced or dropped from its field). */
  fileDeleted(fileId: number): boolean {
    return this.state.files.get(fileId)?.deleted ?? false;
  }

  /** `crm.timeline.comment.add` records, of one deal or all. */
  timeline(dealId?: number): TimelineComment[] {
    return this.state.timeline.filter((comment) => dealId === undefined || comment.entityId === dealId);
  }

  /** Every `bizproc.event.send` call, accepted or refused, oldest first. */
  eventSendCalls(): EventSendCall[] {
    return [...this.state.eventSends];
  }

  /** Every accepted `bizproc.activity.log` line. */
  activityLogs(): ActivityLogRecord[] {
    return [...this.state.activityLogs];
  }

  /** Every `im.notify.*.add` notification. */
  notifications(): NotificationRecord[] {
    return [...this.state.notifications];
  }

  /** What the app registered now (robots, activities, placements incl. private ones, event handlers). */
  registrations(): Registrations {
    const all = [...this.state.activities.values()];
    return {
      robots: all.filter((entry) => entry.kind === 'robot'),
      activities: all.filter((entry) => entry.kind === 'activity'),
      placements: [...this.state.placements],
      events: [...this.state.events],
    };
  }

  /** Every robot run and its state (waiting / closed, and by what). */
  workflowSteps(): WorkflowStep[] {
    return [...this.state.steps.values()];
  }

  /** Requests addressed to this portal (REST, downloads, and OAuth calls for its tokens). */
  requests(): RecordedRequest[] {
    return this.core.log.filter((entry) => entry.portal === this.domain);
  }

  /** Every access token of this portal expires now; refresh tokens keep working. */
  forceExpireTokens(): void {
    this.core.tokens.expireAll(this.memberId);
  }

  /** Issues a token pair directly (as if from an earlier install or page load). */
  issueTokens(userId: number): AccessGrant {
    this.state.user(userId);
    return { ...this.core.tokens.issue(this.memberId, userId, this.clientId, this.state.identity.scope) };
  }

  /** A one-time authorization code for the full OAuth flow (valid 30 s). */
  authorizationCode(userId: number): string {
    this.state.user(userId);
    return this.core.tokens.issueCode(this.memberId, userId, this.clientId, this.state.identity.scope);
  }

  /** What `BX24.installFinish()` does for a UI app. */
  finishInstall(): void {
    this.state.installed = true;
  }

  /** Terminates a workflow: its waiting step closes, its event token stops working. */
  terminateWorkflow(workflowId: string): void {
    for (const step of this.state.steps.values()) {
      if (step.workflowId === workflowId && step.state === 'waiting') {
        step.state = 'closed';
        step.closedBy = 'terminated';
      }
    }
  }
}
