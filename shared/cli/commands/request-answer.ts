/**
 * `signservice request approve ID [ID …] --otp CODE [--cert ID]` and `request reject ID --reason TEXT`: the
 * signer's answer to requests a Bitrix24 robot started (for operators, and signers at a shell). Approve checks
 * the deadline, the certificate and grant, then the code, moves the request to `approved` and queues it to
 * the key's route; several ids take one code (they must all wait for the same account: a batch, each still
 * its own request); reject ends it, and a worker tells the workflow.
 */
import type { Config } from '../../config.js';
import { AppError, ErrorCode, errorOutcome } from '../../errors.js';
import { createOtpAuthorizer } from '../../otp/otp-authorizer.js';
import type { TotpVerifier } from '../../otp/verify-totp.js';
import { openQueue } from '../../process/open-queue.js';
import { approveSignRequest, rejectSignRequest } from '../../sign-requests/approve-sign-request.js';
import { approveSignRequests, type BatchApproval } from '../../sign-requests/approve-sign-requests.js';
import type { CertificateKeySource } from '../../signing/certificate-key-source.js';
import type { ServedTokens } from '../../signing/served-tokens.js';
import type { Store } from '../../store/store-ports.js';
import { invalid } from '../cli-args.js';
import { requestJson } from '../request-format.js';

/** What approve needs from the request command (key lookup and the lazy TOTP verifier live there). */
export interface AnswerTools {
  keySourceFor(config: Config, opened: ServedTokens[]): Promise<CertificateKeySource>;
  lazyVerifier(config: Config, store: Store): TotpVerifier;
}

type Values = {
  otp?: string | undefined;
  cert?: string | undefined;
  reason?: string | undefined;
  json?: boolean | undefined;
};

function print(json: boolean | undefined, request: Parameters<typeof requestJson>[0], text: string): void {
  if (json) process.stdout.write(`${JSON.stringify(requestJson(request), null, 2)}\n`);
  else process.stdout.write(`${text}\n`);
}

/** `request approve ID [ID …]`: one id as before; several with one code (approve-sign-requests.ts). */
export async function approveCommand(
  config: Config,
  store: Store,
  values: Values,
  ids: readonly string[],
  tools: AnswerTools,
): Promise<number> {
  if (ids.length === 0) throw invalid('ID is required');
  const queue = await openQueue(config);
  const opened: ServedTokens[] = [];
  try {
    const common = {
      store,
      queue,
      keys: await tools.keySourceFor(config, opened),
      authorizer: createOtpAuthorizer({ store, verifier: tools.lazyVerifier(config, store) }),
      otp: values.otp,
      ...(values.cert ? { certId: values.cert } : {}),
      actor: { role: 'cli' },
    };
    if (ids.length === 1) {
      const request = await approveSignRequest({ ...common, requestId: ids[0] as string });
      print(
        values.json,
        request,
        `Approved; queued to ${request.route}. See: signservice request status ${request.id}`,
      );
      return 0;
    }
    const outcome = await approveSignRequests({
      ...common,
      signer: await signerOf(store, ids[0] as string),
      requestIds: ids,
      maxDocuments: config.batchMaxDocuments,
    });
    return printBatch(values.json, outcome);
  } finally {
    await queue.close();
    for (const tokens of opened) await tokens.close();
  }
}

/** The account (and portal) the first id waits for: every other id must wait for the same. */
async function signerOf(store: Store, id: string): Promise<{ accountId: string; memberId?: string }> {
  const first = await store.signRequests.get(id);
  if (!first) throw new AppError(ErrorCode.SIGN_REQUEST_NOT_FOUND, `No sign request with id ${id}`);
  const doc = first.document;
  return { accountId: first.accountId, ...(doc.kind === 'bitrix24' ? { memberId: doc.memberId } : {}) };
}

/** What a batch approval did; exit 0 only when every id was approved. */
function printBatch(json: boolean | undefined, outcome: BatchApproval): number {
  if (json) {
    const data = { batchId: outcome.batchId, approved: outcome.approved.map(requestJson), skipped: outcome.skipped };
    process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  } else {
    for (const request of outcome.approved) process.stdout.write(`${request.id}\n`);
    process.stderr.write(
      `Approved ${outcome.approved.length} with one code as batch ${outcome.batchId}; see: signservice request status ID\n`,
    );
  }
  for (const skip of outcome.skipped) {
    process.stderr.write(`signservice: request ${skip.requestId} was not approved: ${skip.message} (${skip.code})\n`);
  }
  return outcome.skipped.length === 0 ? 0 : errorOutcome(new AppError(ErrorCode.SIGN_REQUEST_NOT_PENDING, '')).exit;
}

/** `request reject ID --reason TEXT`. */
export async function rejectCommand(
  config: Config,
  store: Store,
  values: Values,
  id: string | undefined,
): Promise<number> {
  if (!id) throw invalid('ID is required');
  if (!values.reason) throw new AppError(ErrorCode.INVALID_ARGUMENT, '--reason TEXT is required: say why');
  const queue = await openQueue(config);
  try {
    const request = await rejectSignRequest({
      store,
      queue,
      requestId: id,
      reason: values.reason,
      actor: { role: 'cli' },
    });
    print(values.json, request, `Rejected; the workflow will be told. See: signservice request status ${request.id}`);
    return 0;
  } finally {
    await queue.close();
  }
}
