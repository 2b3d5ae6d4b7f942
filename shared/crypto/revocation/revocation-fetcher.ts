/**
 * Fetches what B-LT embeds from the URLs a certificate names: CRLs (CRL distribution point), OCSP responses
 * (AIA id-ad-ocsp, POST as RFC 6960 Appendix A.1 describes) and issuer certificates (AIA caIssuers), over
 * HTTP(S) with a time limit and a size limit. CRLs and OCSP answers are cached until their nextUpdate, so a
 * busy worker asks the CA once per validity period. Every failure is an AppError REVOCATION_UNAVAILABLE that
 * names the URL and the reason.
 */
import { AppError, ErrorCode } from '../../errors.js';
import { parseCrl } from './crl-reader.js';
import { parseOcspResponse } from './ocsp-response.js';

/** Where validation data comes from (an HTTP fetcher, or a test double that serves files). */
export interface RevocationFetcher {
  /** DER CRL from `url`. */
  crl(url: string): Promise<Buffer>;
  /** DER OCSPResponse for `request` from the responder at `url`. */
  ocsp(url: string, request: Buffer, certKey: string): Promise<Buffer>;
  /** DER (or PEM) certificate from a caIssuers URL. */
  certificate(url: string): Promise<Buffer>;
}

export interface RevocationFetcherOptions {
  /** @default 10000 */
  timeoutMs?: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** @default () => new Date() */
  now?: () => Date;
  /** Answers bigger than this are refused. @default 20 MiB */
  maxBytes?: number;
}

/** An HTTP(S) fetcher with a cache by nextUpdate. */
export function createRevocationFetcher(options: RevocationFetcherOptions = {}): RevocationFetcher {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxBytes ?? 20 * 1024 * 1024;
  const now = options.now ?? (() => new Date());
  const doFetch = options.fetch ?? fetch;
  const cache = new Map<string, { bytes: Buffer; until: number }>();

  const cached = async (key: string, load: () => Promise<{ bytes: Buffer; until: Date | undefined }>) => {
    const hit = cache.get(key);
    if (hit && hit.until > now().getTime()) return hit.bytes;
    const { bytes, until } = await load();
    if (until) cache.set(key, { bytes, until: until.getTime() });
    return bytes;
  };

  const get = async (what: string, url: string, init: RequestInit = {}): Promise<Buffer> => {
    if (!/^https?:\/\//i.test(url)) throw unavailable(what, url, 'only http and https URLs are fetched');
    let response: Response;
    try {
      response = await doFetch(url, { ...init, redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const name = (error as Error).name;
      const reason =
        name === 'TimeoutError' || name === 'AbortError'
          ? `no answer within ${timeoutMs} ms`
          : `cannot be reached (${networkReason(error)})`;
      throw unavailable(what, url, reason, error);
    }
    if (!response.ok) throw unavailable(what, url, `HTTP ${response.status}`);
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (declared > maxBytes) throw unavailable(what, url, `the answer is larger than ${maxBytes} bytes`);
    const bytes = Buffer.from(await response.arrayBuffer());
    if (bytes.length > maxBytes) throw unavailable(what, url, `the answer is larger than ${maxBytes} bytes`);
    return bytes;
  };

  return {
    crl: (url) =>
      cached(`crl ${url}`, async () => {
        const bytes = toDer(await get('the CRL', url), 'X509 CRL');
        try {
          return { bytes, until: parseCrl(bytes).nextUpdate };
        } catch (error) {
          throw unavailable('the CRL', url, `the answer is not a CRL (${(error as Error).message})`, error);
        }
      }),
    ocsp: (url, request, certKey) =>
      cached(`ocsp ${url} ${certKey}`, async () => {
        const bytes = await get('the OCSP responder', url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/ocsp-request', Accept: 'application/ocsp-response' },
          body: new Uint8Array(request),
        });
        try {
          const parsed = parseOcspResponse(bytes);
          // A nonce-bearing request is unique: only nonce-less answers are worth keeping.
          const until = parsed.nonceExtensionValue ? undefined : parsed.responses[0]?.nextUpdate;
          return { bytes, until };
        } catch (error) {
          throw unavailable(
            'the OCSP responder',
            url,
            `the answer is not an OCSP response (${(error as Error).message})`,
            error,
          );
        }
      }),
    certificate: async (url) => toDer(await get('the issuer certificate', url), 'CERTIFICATE'),
  };
}

/** PEM (some CAs publish it) to DER; DER passes through. */
function toDer(bytes: Buffer, label: string): Buffer {
  const text = bytes.subarray(0, 64).toString('latin1');
  if (!text.includes('-----BEGIN')) return bytes;
  const match = new RegExp(`-----BEGIN ${label}-----([\\s\\S]+?)-----END ${label}-----`).exec(bytes.toString('latin1'));
  return match ? Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64') : bytes;
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

function unavailable(what: string, url: string, reason: string, cause?: unknown): AppError {
  return new AppError(ErrorCode.REVOCATION_UNAVAILABLE, `${capitalize(what)} at ${url}: ${reason}.`, {
    ...(cause ? { cause } : {}),
    details: { url },
  });
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
