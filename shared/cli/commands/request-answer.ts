/**
 * `signservice request approve ID --otp CODE [--cert ID]` and `request reject ID --reason TEXT`: the signer's
 * answer to a request a Bitrix24 robot started (until the approval page exists, and for operators). Approve
 * checks the deadline, the certificate and grant, then the code, moves the request to `approved` and queues
 * it to the key's route; reject ends it, and a worker tells the workflow.
 */
import type { Config } from '../../config.js';
import { AppError, ErrorCode } from '../../errors.js';
import { createOtpAuthorizer } from '../../otp/otp-authorizer.js';
import type { TotpVerifier } from '../../otp/verify-totp.js';
import { openQueue } from '../../process/open-queue.js';
import { approveSignRequest, rejectSignRequest } from '../../sign-requests/approve-sign-request.js';
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

/** `request approve ID`. */
export async function approveCommand(
  config: Config,
  store: Store,
  values: Values,
  id: string | undefined,
  tools: AnswerTools,
): Promise<number> {
  if (!id) throw invalid('ID is required');
  const queue = await openQueue(config);
  const opened: ServedTokens[] = [];
  try {
    const request = await approveSignRequest({
      store,
      queue,
      keys: await tools.keySourceFor(config, opened),
      authorizer: createOtpAuthorizer({ store, verifier: tools.lazyVerifier(config, store) }),
      requestId: id,
      otp: values.otp,
      ...(values.cert ? { certId: values.cert } : {}),
      actor: { role: 'cli' },
    });
    print(values.json, request, `Approved; queued to ${request.route}. See: signservice request status ${request.id}`);
    return 0;
  } finally {
    await queue.close();
    for (const tokens of opened) await tokens.close();
  }
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
