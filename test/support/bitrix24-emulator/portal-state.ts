/**
 * The state of one emulated portal: its identity and app credentials, users, deals with file fields, the
 * portal's file store, timeline comments, what the app registered (robots, activities, placements, event
 * handlers), workflow steps waiting for `bizproc.event.send`, and the records tests read back.
 */
import { randomBytes } from 'node:crypto';
import { LeakyBucket, type RateLimit } from './leaky-bucket.js';

/** App status letters of `auth[status]` [bitrix24.md §1.2]. */
export type AppStatus = 'L' | 'F' | 'D' | 'T' | 'P';

/** A portal user. `admin` is the portal-admin flag behind `user.admin` / `profile.ADMIN`. */
export interface PortalUser {
  id: number;
  name: string;
  lastName: string;
  email: string;
  admin: boolean;
  active: boolean;
  /** UI language, sent as `LANG` to placements. */
  language: string;
  timeZone: string;
}

/** A file in the portal's `b_file` store; deleting detaches it, the bytes stay for assertions. */
export interface StoredFile {
  id: number;
  name: string;
  bytes: Buffer;
  deleted: boolean;
}

/** A deal custom field; `file` fields hold portal file ids, others a plain value. */
export interface UserField {
  id: number;
  fieldName: string;
  /** `USER_TYPE_ID`: `file` for the fields this app reads, `string` for a decoy the app must skip. */
  userTypeId: 'file' | 'string';
  multiple: boolean;
  label: string;
}

/** A deal (`crm.item` with entityTypeId 2). */
export interface Deal {
  id: number;
  title: string;
  stageId: string;
  categoryId: number;
  assignedById: number;
  createdBy: number;
  updatedBy: number;
  createdAtMs: number;
  updatedAtMs: number;
  opportunity: number;
  currencyId: string;
  /** File field name → file ids, in order. */
  files: Map<string, number[]>;
  /** Non-file custom field values. */
  values: Map<string, unknown>;
}

/** A `crm.timeline.comment.add` record. `authorId` is the token's user; `requestedAuthorId` is `AUTHOR_ID`. */
export interface TimelineComment {
  id: number;
  entityType: string;
  entityId: number;
  comment: string;
  authorId: number;
  requestedAuthorId: number | undefined;
  files: { name: string; bytes: Buffer }[];
  atMs: number;
}

/** A robot (`bizproc.robot.add`) or activity (`bizproc.activity.add`) registration, keys upper-cased. */
export interface ActivityRegistration {
  kind: 'robot' | 'activity';
  code: string;
  handler: string;
  authUserId: number;
  /** As registered; '' when not sent. */
  useSubscription: '' | 'Y' | 'N';
  name: unknown;
  description: unknown;
  properties: Record<string, Record<string, unknown>>;
  returnProperties: Record<string, Record<string, unknown>>;
  documentType: unknown;
  filter: unknown;
  usePlacement: boolean;
  placementHandler: string | undefined;
}

/** A `placement.bind` registration; `private` marks the robot-settings placement `USE_PLACEMENT` creates. */
export interface PlacementBinding {
  placement: string;
  handler: string;
  title: string;
  description: string;
  groupName: string;
  langAll: unknown;
  options: unknown;
  userId: number;
  private: boolean;
}

/** An `event.bind` registration. */
export interface EventBinding {
  id: number;
  event: string;
  handler: string;
  authType: number;
  offline: boolean;
}

/**
 * One run of a robot/activity: the step waits for `bizproc.event.send` when subscribed. The emulator's
 * workflows have this one step, so the workflow instance (`bizproc.workflow.instances`) runs exactly while the
 * step waits and is gone once it closed (event, terminated, or `USE_SUBSCRIPTION=N` at dispatch).
 */
export interface WorkflowStep {
  workflowId: string;
  eventToken: string;
  code: string;
  dealId: number;
  useSubscription: 'Y' | 'N';
  state: 'waiting' | 'closed';
  closedBy: 'event' | 'no-subscription' | 'terminated' | undefined;
  returnValues: Record<string, unknown> | undefined;
  /** Unix ms the workflow started (`STARTED`) and last changed (`MODIFIED`). */
  startedAtMs: number;
  modifiedAtMs: number;
  /** `STARTED_BY`: the user who started the workflow; 0 when automation started it [doc example]. */
  startedBy: number;
  /** `TEMPLATE_ID`. */
  templateId: number;
}

/** A `bizproc.event.send` call as it arrived, accepted or refused. */
export interface EventSendCall {
  atMs: number;
  userId: number;
  eventToken: string;
  returnValues: Record<string, unknown>;
  /** RETURN_VALUES matched case-insensitively to the robot's RETURN_PROPERTIES; unknown keys dropped [src]. */
  matchedReturnValues: Record<string, unknown>;
  logMessage: string;
  accepted: boolean;
  error: string | undefined;
  workflowId: string | undefined;
}

/** A `bizproc.activity.log` line. */
export interface ActivityLogRecord {
  atMs: number;
  userId: number;
  eventToken: string;
  message: string;
  workflowId: string | undefined;
}

/** An `im.notify.system.add` / `im.notify.personal.add` record. */
export interface NotificationRecord {
  id: number;
  atMs: number;
  method: string;
  fromUserId: number;
  toUserId: number;
  message: string;
  messageOut: string;
  tag: string;
  subTag: string;
  attach: unknown;
}

/** An app's OAuth credentials (local app: `local.xxxxxxxx.yyyyyyyy`). */
export interface AppCredentials {
  clientId: string;
  clientSecret: string;
}

/** What a portal is created from. */
export interface PortalIdentity {
  domain: string;
  memberId: string;
  app: AppCredentials;
  scope: string[];
  status: AppStatus;
  languageId: string;
  rateLimit: RateLimit;
}

/** One portal's mutable state. Ids are per portal and start at 1 like a fresh portal. */
export class PortalState {
  readonly users = new Map<number, PortalUser>();
  readonly deals = new Map<number, Deal>();
  readonly files = new Map<number, StoredFile>();
  readonly userFields = new Map<string, UserField>();
  readonly timeline: TimelineComment[] = [];
  readonly activities = new Map<string, ActivityRegistration>();
  readonly placements: PlacementBinding[] = [];
  readonly events: EventBinding[] = [];
  readonly steps = new Map<string, WorkflowStep>();
  readonly eventSends: EventSendCall[] = [];
  readonly activityLogs: ActivityLogRecord[] = [];
  readonly notifications: NotificationRecord[] = [];
  readonly bucket: LeakyBucket;
  /** Secret that signs event tokens and file links, so forged ones are refused. */
  readonly signingSecret = randomBytes(32);
  applicationToken = randomBytes(16).toString('hex');
  /** Host the app's URLs must live on (from the install URL); robot HANDLERs are checked against it. */
  appHost: string | undefined;
  installed = false;
  appVersion = 1;
  installerUserId = 1;
  /** Where the full OAuth flow redirects (`redirect_uri` of the app card). */
  redirectUri: string | undefined;
  /** How long each REST call waits before it runs (a slow portal; 0: none). */
  latencyMs = 0;
  readonly #counters = new Map<string, number>();

  constructor(readonly identity: PortalIdentity) {
    this.bucket = new LeakyBucket(identity.rateLimit);
  }

  get domain(): string {
    return this.identity.domain;
  }

  get memberId(): string {
    return this.identity.memberId;
  }

  /** Next id in a per-portal sequence (users, deals, files, comments, …). */
  nextId(sequence: string, start = 1): number {
    const next = (this.#counters.get(sequence) ?? start - 1) + 1;
    this.#counters.set(sequence, next);
    return next;
  }

  /** The user or a clear error for a test that named a user the portal does not have. */
  user(id: number): PortalUser {
    const user = this.users.get(id);
    if (user === undefined) throw new Error(`portal ${this.domain} has no user ${id}`);
    return user;
  }

  /** Stores bytes as a new portal file. */
  addFile(name: string, bytes: Buffer): StoredFile {
    const file: StoredFile = { id: this.nextId('file', 100), name, bytes: Buffer.from(bytes), deleted: false };
    this.files.set(file.id, file);
    return file;
  }
}
