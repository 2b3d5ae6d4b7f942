/**
 * What the internal CA publishes from the service, at the URLs its certificates carry (ca-urls.ts): the root
 * certificate, the current CRL and the OCSP responder (RFC 6960 Appendix A: POST, and GET with the
 * base64 request in the path). Public and read-only: each route reads one CA record and nothing else of the
 * data directory; the OCSP responder's key is the only secret used, to sign answers.
 */
import { Router } from '@koa/router';
import type { Context } from 'koa';
import type { CaStore } from '../../shared/crypto/internal-ca/ca-store.js';
import { refreshCrlIfDue } from '../../shared/crypto/internal-ca/crl-refresh.js';
import { answerOcspRequest } from '../../shared/crypto/internal-ca/ocsp-responder.js';
import { ensureOcspSigner, type OcspSigner } from '../../shared/crypto/internal-ca/ocsp-signer.js';
import type { MasterKey } from '../../shared/crypto/master-key.js';
import { AppError, ErrorCode } from '../../shared/errors.js';

export interface CaPublicationDeps {
  store: CaStore;
  masterKey: MasterKey;
  /** @default () => new Date() */
  now?: () => Date;
}

/** OCSP requests are a few hundred bytes; anything this large is not one. */
const MAX_REQUEST_BYTES = 16 * 1024;
/** Relying parties may cache the root for a day; CRLs and OCSP answers carry their own validity. */
const ROOT_MAX_AGE = 86_400;

/** The /ca/* routes. */
export function caPublicationRoutes(deps: CaPublicationDeps): Router {
  const now = deps.now ?? (() => new Date());
  let signer: { value: OcspSigner; checkedAt: number } | undefined;
  // The responder certificate is checked for renewal at most once an hour, not on every answer.
  const currentSigner = async () => {
    if (!signer || now().getTime() - signer.checkedAt > 3_600_000) {
      signer = { value: await ensureOcspSigner(deps.store, deps.masterKey, now()), checkedAt: now().getTime() };
    }
    return signer.value;
  };
  const answer = async (ctx: Context, request: Buffer) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'application/ocsp-response';
    ctx.body = await answerOcspRequest(request, { store: deps.store, signer: currentSigner, now });
  };

  const router = new Router({ prefix: '/ca' });
  router.get('/root.crt', async (ctx) => {
    const root = await deps.store.loadRoot();
    if (!root) throw notPublished('root certificate');
    ctx.set('Cache-Control', `public, max-age=${ROOT_MAX_AGE}`);
    ctx.type = 'application/pkix-cert';
    ctx.body = root.certificate;
  });
  router.get('/root.crl', async (ctx) => {
    if (!(await deps.store.loadRoot())) throw notPublished('CRL');
    await refreshCrlIfDue(deps.store, deps.masterKey, now());
    ctx.set('Cache-Control', 'no-cache');
    ctx.type = 'application/pkix-crl';
    ctx.body = await deps.store.loadCrl();
  });
  router.post('/ocsp', async (ctx) => {
    await answer(ctx, await readBody(ctx));
  });
  router.get('/ocsp/:request', async (ctx) => {
    // The request is base64 (then URL-encoded) in the path [RFC 6960 A.1]; Koa gives the decoded parameter.
    const text = String(ctx.params.request ?? '');
    if (text.length > MAX_REQUEST_BYTES)
      throw new AppError(ErrorCode.INVALID_ARGUMENT, 'the OCSP request is too large');
    await answer(ctx, Buffer.from(text, 'base64'));
  });
  return router;
}

async function readBody(ctx: Context): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) throw new AppError(ErrorCode.INVALID_ARGUMENT, 'the OCSP request is too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function notPublished(what: string): AppError {
  return new AppError(ErrorCode.CA_NOT_INITIALIZED, `The internal CA publishes no ${what}: it has no root yet.`);
}
