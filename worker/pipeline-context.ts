/**
 * What every pipeline step works with: the ports (store, keys, document gateway, notifier, workflow
 * callback), the clock and logger of one job run, and `save`, the compare-and-set write of the request.
 * A lost compare-and-set throws `RequestChanged`; the handler then reloads the request and starts over,
 * and every step skips what the stored request says is done.
 */

import type { InventoryEntry } from '../shared/crypto/certificate-inventory.js';
import type { SignRequest, StepName } from '../shared/domain/sign-request.js';
import type { Logger } from '../shared/logger.js';
import type { LevelSources } from '../shared/pdf/long-term/sign-at-level.js';
import type { StampLanguage } from '../shared/pdf/stamp/stamp-text.js';
import type { CertificateKeySource } from '../shared/signing/certificate-key-source.js';
import type { Store } from '../shared/store/store-ports.js';
import type { DocumentGateway } from './gateways/document-gateway.js';
import type { Notifier } from './gateways/notifier.js';
import type { WorkflowCallback } from './gateways/workflow-callback.js';
import type { HashedInput } from './steps/fetch-document.js';

/** Receives the duration and outcome of every step (the worker feeds them to /metrics). */
export interface StepObserver {
  step(name: PipelineStep['name'], seconds: number, outcome: 'done' | 'skipped' | 'error'): void;
}

export interface PipelineDeps {
  store: Store;
  keys: CertificateKeySource;
  documents: DocumentGateway;
  notifier: Notifier;
  workflow: WorkflowCallback;
  logger: Logger;
  /** The attempts the queue makes (RetryPolicy.maxAttempts): a transient error on the last one fails the request. */
  maxAttempts: number;
  /** Language of the visible stamp. @default 'en' */
  stampLanguage?: StampLanguage;
  /** The PAdES level (and TSA, revocation fetcher) of a certificate's signatures. @default B-B */
  levelFor?: (entry: InventoryEntry) => LevelSources;
  observer?: StepObserver;
  /** @default () => new Date() */
  now?: () => Date;
}

/** The stored request changed since it was read (another worker, a redelivery): reload and decide again. */
export class RequestChanged extends Error {
  constructor(readonly requestId: string) {
    super(`sign request ${requestId} was changed by someone else`);
    this.name = 'RequestChanged';
  }
}

export interface PipelineContext {
  readonly deps: PipelineDeps;
  readonly log: Logger;
  /** Aborted when the job stopped being this worker's (DeliveredJob.signal): no further step runs. */
  readonly signal: AbortSignal | undefined;
  now(): Date;
  /**
   * The input bytes fetched during this run, so a fresh run reads the document once, with the SHA-256 state
   * that has consumed exactly them (never digested: the sign step continues copies of it, so each input byte
   * is hashed once in a run; fetch-document.ts).
   */
  input: HashedInput | undefined;
  /** The signed bytes produced and recorded in this run, so delivery needs no read-back and re-hash. */
  signed: { sha256: string; bytes: Buffer } | undefined;
  /** True once this run's fetch step recorded the first signing attempt with its own write. */
  signAttemptReserved: boolean;
  /**
   * Stores `next` if the stored request is still at `from.version`; returns it with its new version.
   * @throws RequestChanged when another writer got there first.
   */
  save(next: SignRequest, from: SignRequest): Promise<SignRequest>;
}

/** One step of the pipeline (worker/steps/*.ts); 'report' runs notify and callback side by side. */
export interface PipelineStep {
  readonly name: StepName | 'complete' | 'report';
  /** True when the stored request says this step is finished; the handler then skips it. */
  done(request: SignRequest): boolean;
  /** Does the step and returns the request as stored afterwards. */
  run(ctx: PipelineContext, request: SignRequest): Promise<SignRequest>;
}

/**
 * A step whose outside action can run side by side with another's (report-signature.ts): `act` does it,
 * and the combinator records the step once `act` succeeded.
 */
export interface SideStep {
  readonly name: StepName;
  done(request: SignRequest): boolean;
  act(ctx: PipelineContext, request: SignRequest): Promise<void>;
  /** True when `act` only writes in this process for `request` (a log line, nothing to call): it cannot fail. */
  local(ctx: PipelineContext, request: SignRequest): boolean;
}

/** Creates the context of one job run. */
export function pipelineContext(deps: PipelineDeps, log: Logger, signal?: AbortSignal): PipelineContext {
  const now = deps.now ?? (() => new Date());
  return {
    deps,
    log,
    signal,
    now,
    input: undefined,
    signed: undefined,
    signAttemptReserved: false,
    async save(next, from) {
      if (!(await deps.store.signRequests.update(next, from.version))) throw new RequestChanged(from.id);
      return { ...next, version: from.version + 1 };
    },
  };
}

export { signedBlobKey } from '../shared/store/blob-key.js';
