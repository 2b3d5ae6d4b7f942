/**
 * Submits sign requests the way the service does, in this process: `submitSignRequest` over the run's
 * store and queue, the certificate inventory of the data directory (internal CA and the token snapshots
 * the workers wrote) and the real one-time-code check. Tests and the pipeline benchmark use it to put
 * hundreds of requests in flight without starting hundreds of CLI processes (the CLI path itself is
 * covered by rabbitmq-pipeline.e2e.test.ts and request-command.test.ts).
 */
import { snapshotStoreIn } from '../../shared/cli/data-dir.js';
import { loadConfig } from '../../shared/config.js';
import type { MasterKey } from '../../shared/crypto/master-key.js';
import type { SignPlacement, SignRequest } from '../../shared/domain/sign-request.js';
import { createOtpAuthorizer } from '../../shared/otp/otp-authorizer.js';
import { createTotpVerifier } from '../../shared/otp/verify-totp.js';
import type { JobQueue } from '../../shared/queue/queue-port.js';
import { submitSignRequest, submitSignRequests } from '../../shared/sign-requests/submit-sign-request.js';
import { createCertificateKeySource } from '../../shared/signing/certificate-key-source.js';
import type { Store } from '../../shared/store/store-ports.js';
import type { TestSigner } from './pipeline-fixture.js';

/** One submission: who signs what with which certificate, and where the signed copy goes. */
export interface Submission {
  signer: TestSigner;
  certId: string;
  inputPath: string;
  outputPath: string;
  placement?: SignPlacement;
  reason?: string;
}

/** A request as submitted, with the moment the submit call began (epoch ms, for latency figures). */
export interface Submitted {
  request: SignRequest;
  submittedAt: number;
}

export type Submit = (submission: Submission) => Promise<Submitted>;

const DEFAULT_PLACEMENT: SignPlacement = { page: 'last', position: 'bottom-right', visible: true };

/** Several files of one signer, one code for all: a batch (one request per file, one batch id). */
export interface BatchSubmission {
  signer: TestSigner;
  certId: string;
  files: { inputPath: string; outputPath: string; reason?: string }[];
}

export type SubmitBatch = (batch: BatchSubmission) => Promise<Submitted[]>;

interface SubmitterDeps {
  dataDir: string;
  store: Store;
  queue: JobQueue;
  masterKey: MasterKey;
}

/** The certificate inventory (as the CLI sees it) and the real OTP check over the run's store. */
function submitTools(deps: SubmitterDeps) {
  const { store, masterKey } = deps;
  const settings = loadConfig({ SIGNSERVICE_DATA_DIR: deps.dataDir }).otp;
  const keys = createCertificateKeySource({
    dataDir: deps.dataDir,
    // This process holds no token: like the CLI, it finds token certificates in the workers' snapshots.
    tokens: { tokens: [], byRoute: () => undefined, close: async () => {} },
    masterKey: () => masterKey,
    otherTokens: snapshotStoreIn(deps.dataDir),
  });
  const authorizer = createOtpAuthorizer({ store, verifier: createTotpVerifier({ store, masterKey, settings }) });
  return { keys, authorizer };
}

/** Creates the batch submit function (`submitSignRequests`, as `request submit A.pdf B.pdf …` calls it). */
export function inProcessBatchSubmitter(deps: SubmitterDeps): SubmitBatch {
  const { keys, authorizer } = submitTools(deps);
  return async (b) => {
    const submittedAt = Date.now();
    const { requests } = await submitSignRequests({
      store: deps.store,
      queue: deps.queue,
      keys,
      authorizer,
      account: b.signer.account,
      certId: b.certId,
      otp: b.signer.nextCode(),
      documents: b.files.map((f) => ({
        document: { kind: 'file', inputPath: f.inputPath, outputPath: f.outputPath },
        ...(f.reason ? { reason: f.reason } : {}),
      })),
      placement: DEFAULT_PLACEMENT,
      maxDocuments: b.files.length,
      actor: { role: 'cli' },
    });
    return requests.map((request) => ({ request, submittedAt }));
  };
}

/** Creates the submit function over a data directory, its store, its master key and a queue. */
export function inProcessSubmitter(deps: SubmitterDeps): Submit {
  const { store, queue } = deps;
  const { keys, authorizer } = submitTools(deps);
  return async (s) => {
    const submittedAt = Date.now();
    const request = await submitSignRequest({
      store,
      queue,
      keys,
      authorizer,
      account: s.signer.account,
      certId: s.certId,
      otp: s.signer.nextCode(),
      document: { kind: 'file', inputPath: s.inputPath, outputPath: s.outputPath },
      placement: s.placement ?? DEFAULT_PLACEMENT,
      ...(s.reason ? { reason: s.reason } : {}),
      actor: { role: 'cli' },
    });
    return { request, submittedAt };
  };
}
