/**
 * The public verification page. GET /verify shows the upload form; POST /verify checks the uploaded PDF in
 * memory (never stored) with the service's verifier against the service's trust roots (the internal CA's
 * root and SIGNSERVICE_TRUST_ROOTS), offline — nothing named in an uploaded file is fetched — and shows the
 * result per signature with the stamp's page. The POST passes the app's one CSRF guard: the app's Origin,
 * checked before the upload is read, and the page's token, bound to the page's nonce cookie (csrf-guard.ts).
 * Russian or English by ?lang= / Accept-Language; times in the browser's time zone (sent by the page's
 * script), else the server's.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { Router } from '@koa/router';
import type { Context } from 'koa';
import type { CaStore } from '../../shared/crypto/internal-ca/ca-store.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { fillPlaceholders, type Language, messagesFor, pickLanguage } from '../../shared/i18n/messages.js';
import type { TemplateRenderer } from '../../shared/mail/render-template.js';
import { PdfDocument } from '../../shared/pdf/pdf-document.js';
import { BufferSource } from '../../shared/pdf/pdf-source.js';
import { listSignatures } from '../../shared/pdf/signature-fields.js';
import { verifyPdf } from '../../shared/pdf/verify-pdf.js';
import {
  CSRF_FIELD,
  type CsrfTokens,
  checkCsrfToken,
  checkRequestOrigin,
  issuePageNonce,
  pageNonceOf,
} from '../middleware/csrf-guard.js';
import { allowFramingBy } from '../middleware/framed-page.js';
import { noStore } from '../middleware/security-headers.js';
import { readUpload } from '../verify/read-upload.js';
import { renderPages, stampPageOf } from '../verify/stamp-pages.js';
import { pickTimeZone, type StampPicture, type VerifyView, verifyView } from '../verify/verify-view.js';

export interface VerifyPageDeps {
  renderer: TemplateRenderer;
  /** The app's CSRF tokens (csrf-guard.ts). */
  csrf: CsrfTokens;
  publicBaseUrl: string;
  defaultLanguage: Language;
  /** The internal CA, whose root is trusted; absent without a data directory. */
  ca: CaStore | undefined;
  /** Further trusted roots (PEM files). */
  trustRootFiles: readonly string[];
  /** @default 30 MiB */
  maxBytes?: number;
}

/** What the page's CSRF token is bound to: the nonce in the browser's page-nonce cookie. */
const verifyCsrfBinding = (nonce: string): string => `verify:${nonce}`;

/** The /verify routes. */
export function verifyPageRoutes(deps: VerifyPageDeps): Router {
  const maxBytes = deps.maxBytes ?? 30 * 1024 * 1024;
  const maxMb = Math.round(maxBytes / 1048576);
  const origin = new URL(deps.publicBaseUrl).origin;
  const secure = deps.publicBaseUrl.startsWith('https:');
  const extraRoots = deps.trustRootFiles.flatMap(readRoots);
  const languageOf = (ctx: Context, field?: string): Language =>
    pickLanguage({
      query: field ?? ctx.query.lang,
      acceptLanguage: ctx.get('accept-language'),
      fallback: deps.defaultLanguage,
    });

  const render = (ctx: Context, language: Language, extra: { error?: string; result?: VerifyView }) => {
    noStore(ctx);
    allowFramingBy(ctx, []); // the page's own script and stylesheet; never framed
    // With "no-referrer" a browser sends `Origin: null` on a form POST [Fetch §3.1]; the Origin check needs
    // the real one, and this page's URL carries nothing secret.
    ctx.set('Referrer-Policy', 'same-origin');
    ctx.type = 'html';
    const t = messagesFor(language).verify;
    ctx.body = deps.renderer.page('verify', language, {
      title: t.title,
      cspNonce: ctx.state.cspNonce as string,
      referrerPolicy: 'same-origin',
      stylesheet: 'static/verify.css',
      script: 'static/verify.js',
      csrfField: CSRF_FIELD,
      csrfToken: deps.csrf.tokenFor(verifyCsrfBinding(issuePageNonce(ctx, { secure }))),
      fileLabel: fillPlaceholders(t.fileLabel, { maxMb }),
      maxBytes,
      tooLarge: fillPlaceholders(t.tooLarge, { maxMb }),
      error: extra.error ?? '',
      result: extra.result,
    });
  };

  const router = new Router();
  router.get('/verify', async (ctx) => render(ctx, languageOf(ctx), {}));
  router.post('/verify', async (ctx) => {
    // Nothing of a foreign page's upload is read.
    checkRequestOrigin(ctx, origin);
    let upload: Awaited<ReturnType<typeof readUpload>>;
    try {
      upload = await readUpload(ctx, maxBytes);
    } catch (error) {
      if (error instanceof AppError && error.code === ErrorCode.DOCUMENT_TOO_LARGE) {
        // Drain what is left, so the browser sees the page rather than a reset connection.
        ctx.req.resume();
        ctx.status = 413;
        return render(ctx, languageOf(ctx), {
          error: fillPlaceholders(messagesFor(languageOf(ctx)).verify.tooLarge, { maxMb }),
        });
      }
      throw error;
    }
    checkCsrfToken(deps.csrf, upload.fields[CSRF_FIELD], verifyCsrfBinding(pageNonceOf(ctx)));
    const language = languageOf(ctx, upload.fields.lang);
    const t = messagesFor(language).verify;
    if (!upload.file) return render(ctx, language, { error: t.noFile });
    const outcome = await check(
      upload.file,
      [...(await internalRoot(deps.ca)), ...extraRoots],
      language,
      upload.fields.tz,
    );
    if ('error' in outcome) ctx.status = 422;
    return render(ctx, language, outcome);
  });
  return router;
}

/** Verifies and builds the view; a file that is no readable PDF becomes a message on the page. */
async function check(
  pdf: Buffer,
  roots: Buffer[],
  language: Language,
  zone: string | undefined,
): Promise<{ result: VerifyView } | { error: string }> {
  const t = messagesFor(language).verify;
  let doc: PdfDocument;
  try {
    doc = PdfDocument.open(new BufferSource(pdf));
  } catch (error) {
    if (error instanceof AppError && (error.code === ErrorCode.PDF_NOT_PDF || error.code === ErrorCode.PDF_EMPTY)) {
      return { error: t.notPdf };
    }
    return { error: fillPlaceholders(t.damaged, { reason: (error as Error).message }) };
  }
  try {
    const report = verifyPdf(new BufferSource(pdf), { trustRoots: roots });
    if (report.signatures.length === 0) return { error: t.noSignatures };
    const fields = listSignatures(doc);
    const pages = new Map(report.signatures.map((s) => [s.index, stampPageOf(doc, fields[s.index - 1]!)]));
    const pictures = await renderPages(
      pdf,
      [...pages.values()].filter((p): p is number => p !== undefined),
    );
    const stamps = new Map<number, StampPicture | undefined>();
    for (const [index, page] of pages) stamps.set(index, page ? { page, png: pictures.get(page) } : undefined);
    return { result: verifyView(report, stamps, language, pickTimeZone(zone)) };
  } catch (error) {
    if (error instanceof AppError) return { error: fillPlaceholders(t.damaged, { reason: error.message }) };
    throw error;
  }
}

async function internalRoot(ca: CaStore | undefined): Promise<Buffer[]> {
  const root = await ca?.loadRoot().catch(() => undefined);
  return root ? [root.certificate] : [];
}

/** The certificates of a PEM (or DER) file; a file that cannot be read stops the start with its name. */
function readRoots(file: string): Buffer[] {
  try {
    const bytes = fs.readFileSync(file);
    const pems = bytes.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
    return pems ? pems.map((p) => new crypto.X509Certificate(p).raw) : [new crypto.X509Certificate(bytes).raw];
  } catch (error) {
    throw new AppError(ErrorCode.CONFIG_INVALID, `SIGNSERVICE_TRUST_ROOTS: ${file} holds no readable certificate`, {
      cause: error,
    });
  }
}
