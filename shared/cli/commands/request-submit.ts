/**
 * `signservice request submit FILE [FILE …]`: sign local PDFs through the service pipeline — the same checks,
 * queue and worker as a signature started in Bitrix24. Every file is checked first, then the grant and the
 * one-time code once — here, so a wrong code is refused at once and never stored — and one request per file
 * is created and queued (several files: one batch id, printed on stderr). It prints one request id per line;
 * with `--wait` it follows them all to their end.
 */
import path from 'node:path';
import { createAccountService } from '../../accounts/account-service.js';
import type { Config } from '../../config.js';
import type { SignPlacement, SignRequest } from '../../domain/sign-request.js';
import { AppError, ErrorCode, errorOutcome } from '../../errors.js';
import { readPdfFile } from '../../fs/read-pdf-file.js';
import { createOtpAuthorizer } from '../../otp/otp-authorizer.js';
import { STAMP_POSITIONS, type StampPosition } from '../../pdf/stamp/stamp-placement.js';
import { openQueue } from '../../process/open-queue.js';
import { checkBatchSize } from '../../sign-requests/batch-limits.js';
import { submitSignRequests } from '../../sign-requests/submit-sign-request.js';
import { waitForSignRequest } from '../../sign-requests/wait-for-sign-request.js';
import type { CertificateKeySource } from '../../signing/certificate-key-source.js';
import type { ServedTokens } from '../../signing/served-tokens.js';
import type { Store } from '../../store/store-ports.js';
import { invalid } from '../cli-args.js';
import { requestJson } from '../request-format.js';
import type { AnswerTools } from './request-answer.js';

/** Exit code of a wait that ran out before the request ended (sysexits EX_TEMPFAIL: try again later). */
const EXIT_STILL_RUNNING = 75;

/** The submit options the command reads. */
export interface SubmitValues {
  account?: string | undefined;
  cert?: string | undefined;
  otp?: string | undefined;
  page?: string | undefined;
  position?: string | undefined;
  invisible?: boolean | undefined;
  reason?: string | undefined;
  out?: string | undefined;
  wait?: string | undefined;
  json?: boolean | undefined;
}

function placementOf(values: SubmitValues): SignPlacement {
  const page = values.page ?? 'last';
  if (page !== 'first' && page !== 'last' && !/^[1-9]\d{0,5}$/.test(page)) {
    throw invalid(`--page must be first, last or a page number, not '${page}'`);
  }
  const position = values.position ?? 'bottom-right';
  if (!(STAMP_POSITIONS as readonly string[]).includes(position)) {
    throw invalid(`--position must be one of ${STAMP_POSITIONS.join(', ')}, not '${position}'`);
  }
  return {
    page: page === 'first' || page === 'last' ? page : Number(page),
    position: position as StampPosition,
    visible: values.invisible !== true,
  };
}

function waitSeconds(values: SubmitValues): number | undefined {
  if (values.wait === undefined) return undefined;
  if (!/^\d{1,5}$/.test(values.wait)) throw invalid(`--wait takes whole seconds, not '${values.wait}'`);
  return Number(values.wait);
}

/** Input and output paths, absolute (the worker may run elsewhere in the file system's view of cwd). */
function filesOf(values: SubmitValues, files: readonly string[]): { inputPath: string; outputPath: string }[] {
  if (files.length === 0) throw invalid('FILE is required');
  if (values.out !== undefined && files.length > 1) {
    throw invalid(
      '--out names the signed copy of one FILE; with several, each goes next to its FILE as NAME-signed.pdf',
    );
  }
  const seen = new Set<string>();
  return files.map((file) => {
    const inputPath = path.resolve(file);
    if (seen.has(inputPath)) throw invalid(`${file} is named twice`);
    seen.add(inputPath);
    const parsed = path.parse(inputPath);
    const outputPath = path.resolve(
      values.out ?? path.join(parsed.dir, `${parsed.name}-signed${parsed.ext || '.pdf'}`),
    );
    if (outputPath === inputPath) throw invalid('--out must differ from FILE: the original stays as it was');
    return { inputPath, outputPath };
  });
}

/** `request submit FILE [FILE …]`. */
export async function submitCommand(
  config: Config,
  store: Store,
  values: SubmitValues,
  files: readonly string[],
  tools: AnswerTools,
): Promise<number> {
  if (!values.account) throw invalid('--account LOGIN is required');
  if (!values.cert) throw invalid('--cert ID is required');
  const placement = placementOf(values);
  const wait = waitSeconds(values);
  const paths = filesOf(values, files);
  checkBatchSize(paths.length, config.batchMaxDocuments);
  for (const { inputPath } of paths) {
    await readPdfFile(inputPath, { maxBytes: config.worker.maxDocumentBytes, headerOnly: true });
  }
  const account = await createAccountService({ store }).get({ login: values.account });
  const queue = await openQueue(config);
  const opened: ServedTokens[] = [];
  try {
    const keys: CertificateKeySource = await tools.keySourceFor(config, opened);
    const { batchId, requests } = await submitSignRequests({
      store,
      queue,
      keys,
      authorizer: createOtpAuthorizer({ store, verifier: tools.lazyVerifier(config, store) }),
      account,
      certId: values.cert,
      otp: values.otp,
      documents: paths.map(({ inputPath, outputPath }) => ({
        document: { kind: 'file', inputPath, outputPath },
        ...(values.reason ? { reason: values.reason } : {}),
      })),
      placement,
      maxDocuments: config.batchMaxDocuments,
      actor: { role: 'cli' },
      onQueueDeferred: (error) =>
        process.stderr.write(
          `signservice: a request is stored, but its job could not be queued now (${error.message}); ` +
            'the service queues it by itself within RECOVERY_SWEEP_SECONDS once it runs.\n',
        ),
    });
    if (!values.json) {
      for (const request of requests) process.stdout.write(`${request.id}\n`);
      const route = requests[0]?.route ?? '';
      const batch = batchId ? ` as batch ${batchId} (one code, ${requests.length} requests)` : '';
      process.stderr.write(`Queued to ${route}${batch}; see: signservice request status ID\n`);
    }
    if (wait === undefined) {
      if (values.json) printJson(requests);
      return 0;
    }
    return await follow(store, requests, wait, values.json === true);
  } finally {
    await queue.close();
    for (const tokens of opened) await tokens.close();
  }
}

function printJson(requests: SignRequest[]): void {
  const data = requests.length === 1 ? requestJson(requests[0] as SignRequest) : requests.map(requestJson);
  process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
}

/** Waits for every request (one deadline for all); the exit code of the first that did not complete. */
async function follow(store: Store, submitted: SignRequest[], seconds: number, json: boolean): Promise<number> {
  const until = Date.now() + seconds * 1000;
  const requests: SignRequest[] = [];
  for (const { id } of submitted) {
    requests.push(await waitForSignRequest({ store, id, timeoutMs: Math.max(0, until - Date.now()) }));
  }
  if (json) printJson(requests);
  let exit = 0;
  for (const request of requests) {
    const code = outcome(request, seconds, json);
    if (exit === 0) exit = code;
  }
  return exit;
}

/** Says how one request ended; its exit code. */
function outcome(request: SignRequest, seconds: number, json: boolean): number {
  if (request.state === 'completed') {
    const out = request.document.kind === 'file' ? request.document.outputPath : 'its destination';
    if (!json) process.stderr.write(`Completed: the signed document is in ${out}\n`);
    return 0;
  }
  if (request.state === 'failed') {
    const failure = request.failure ?? { code: ErrorCode.INTERNAL, message: 'no reason recorded' };
    process.stderr.write(`signservice: request ${request.id} failed: ${failure.message} (${failure.code})\n`);
    const code = failure.code in ErrorCode ? (failure.code as ErrorCode) : ErrorCode.INTERNAL;
    return errorOutcome(new AppError(code, failure.message)).exit;
  }
  process.stderr.write(
    `signservice: request ${request.id} is still ${request.state} after ${seconds} s; it goes on in the background\n`,
  );
  return EXIT_STILL_RUNNING;
}
