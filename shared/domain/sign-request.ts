/**
 * A sign request and its life: received → awaiting_signer → approved → signing → signed → delivered →
 * completed, or rejected / expired / failed(reason). Each pipeline step records its result on the
 * request, so a redelivered job resumes after the last finished step; the signed document's hash is
 * recorded before delivery, so a crash between signing and delivery re-delivers the same bytes instead
 * of signing again. Transitions are pure functions; the store persists them with compare-and-set.
 */
import { AppError, ErrorCode } from '../errors.js';

export const SIGN_REQUEST_STATES = [
  'received',
  'awaiting_signer',
  'approved',
  'signing',
  'signed',
  'delivered',
  'completed',
  'rejected',
  'expired',
  'failed',
] as const;
export type SignRequestState = (typeof SIGN_REQUEST_STATES)[number];

export const FINAL_STATES: ReadonlySet<SignRequestState> = new Set(['completed', 'rejected', 'expired', 'failed']);

/** States in which a request waits for a person (or, `received`, for a worker to find its signer's account). */
export const WAITING_STATES: ReadonlySet<SignRequestState> = new Set(['received', 'awaiting_signer']);

/** States in which a request is approved and on its way through the signing pipeline: it needs a job. */
export const IN_PIPELINE_STATES: readonly SignRequestState[] = ['approved', 'signing', 'signed', 'delivered'];

const NEXT: Record<SignRequestState, readonly SignRequestState[]> = {
  received: ['awaiting_signer', 'approved', 'rejected', 'expired', 'failed'],
  awaiting_signer: ['approved', 'rejected', 'expired', 'failed'],
  approved: ['signing', 'failed', 'expired'],
  signing: ['signed', 'failed'],
  signed: ['delivered', 'failed'],
  delivered: ['completed', 'failed'],
  completed: [],
  rejected: [],
  expired: [],
  failed: [],
};

/** Where the document comes from and goes to: a local file (CLI) or a Bitrix24 deal file. */
export type DocumentRef =
  | { kind: 'file'; inputPath: string; outputPath: string }
  | {
      kind: 'bitrix24';
      memberId: string;
      entityTypeId: number;
      entityId: number;
      fieldCode: string;
      fileId: string;
      /** The file's name on the deal, as the portal sent it with the download: the signed file keeps it. */
      fileName?: string;
    };

export interface SignPlacement {
  page: 'first' | 'last' | number;
  position: 'top-left' | 'top-center' | 'top-right' | 'bottom-left' | 'bottom-center' | 'bottom-right';
  visible: boolean;
}

export type StepName = 'fetch' | 'authorize' | 'sign' | 'deliver' | 'log' | 'notify' | 'callback';

export interface StepResult {
  at: Date;
  /** Step-specific facts (hashes, file ids), never secrets. */
  data: Record<string, string | number | boolean>;
}

/** The notices of a request (shared/notices): requested, reminder, outcome, admin. */
export type NoticeKind = 'requested' | 'reminder' | 'outcome' | 'admin';

/** How a Bitrix24 workflow step ended, as its `Result` return property says. */
export type RobotResult = 'signed' | 'rejected' | 'expired' | 'failed';

/**
 * The Bitrix24 workflow step (the "Approve & sign" robot or the business-process activity) that waits for
 * this request's outcome (reference §3, §4). Present only on requests a robot started.
 */
export interface RobotOrigin {
  /** The portal (tenant key). */
  memberId: string;
  /** The robot's or activity's CODE. */
  code: string;
  workflowId: string;
  /** Capability for `bizproc.event.send` / `bizproc.activity.log`; never logged. */
  eventToken: string;
  /** The Bitrix24 user asked to sign. */
  signerUserId: number;
  /** The workflow designer's message to the signer. */
  message?: string;
  /** Certificate the designer preselected (inventory id or unique prefix). */
  certId?: string;
}

export interface SignRequest {
  id: string;
  state: SignRequestState;
  /** Optimistic concurrency: incremented on every stored change. */
  version: number;
  accountId: string;
  certId: string;
  /** Routing key of the key's home: 'token:<label>' or 'internal'. */
  route: string;
  document: DocumentRef;
  placement: SignPlacement;
  reason?: string;
  /**
   * The signer's IANA time zone (e.g. the Bitrix24 user's TIME_ZONE, else the portal's): the stamp shows the
   * signing time there, with its UTC offset. Unset: the service's zone (TZ).
   */
  timeZone?: string;
  /** Where the OTP will be checked; the code itself is never stored (see authorize step). */
  otpRequired: boolean;
  steps: Partial<Record<StepName, StepResult>>;
  /**
   * Signing operations begun for this request (each recorded before the key is used): bounded by the queue's
   * attempts, so a request is never signed more often than its attempts allow, whatever the queue does.
   */
  signAttempts?: number;
  /** SHA-256 of the input and of the signed output (recorded before delivery). */
  inputSha256?: string;
  signedSha256?: string;
  failure?: { code: string; message: string };
  deadline?: Date;
  /** Set when a Bitrix24 robot/activity started the request; the workflow waits for its outcome. */
  robot?: RobotOrigin;
  /**
   * Set when one one-time code authorised several documents at once (a batch from the approval page's
   * "Waiting for me" list, the Sign dialog or the CLI): the same id on every request of the batch and in
   * each one's sign log entry (`details.batchId`). Each request is still signed on its own.
   */
  batchId?: string;
  /**
   * Which notices (e-mail and Bitrix24 notification) went out, with when (ISO text, so both stores keep it
   * as written): the signature request, the reminder, the outcome to the requester, the administrator's
   * alert. Set before sending (compare-and-set), so of several workers exactly one sends each notice.
   */
  notified?: Partial<Record<NoticeKind, string>>;
  createdAt: Date;
  updatedAt: Date;
}

export function canTransition(from: SignRequestState, to: SignRequestState): boolean {
  return NEXT[from].includes(to);
}

/** Returns the request in its new state; throws on an impossible transition (a bug or a race). */
export function transition(
  request: SignRequest,
  to: SignRequestState,
  at: Date,
  patch: Partial<SignRequest> = {},
): SignRequest {
  if (request.state === to) return { ...request, ...patch, updatedAt: at };
  if (!canTransition(request.state, to)) {
    throw new AppError(ErrorCode.INTERNAL, `sign request ${request.id} cannot go from ${request.state} to ${to}`);
  }
  return { ...request, ...patch, state: to, updatedAt: at };
}

export function recordStep(request: SignRequest, step: StepName, result: StepResult): SignRequest {
  return { ...request, steps: { ...request.steps, [step]: result }, updatedAt: result.at };
}
