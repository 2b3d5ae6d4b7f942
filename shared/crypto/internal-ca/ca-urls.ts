/**
 * Where the service publishes the CA's root certificate, CRL and OCSP responder. Issued certificates point
 * there from their CRL distribution point [RFC 5280 §4.2.1.13] and authority information access (caIssuers,
 * ocsp) [RFC 5280 §4.2.2.1] extensions; verifiers such as poppler/NSS and Adobe expect them on signer
 * certificates, and PAdES B-LT fetches the revocation data from them.
 */
import { AppError, ErrorCode } from '../../errors.js';

/** The default public base URL: the service on this machine. */
export const DEFAULT_PUBLIC_BASE_URL = 'http://localhost:8080';

/** The published URLs under a base URL. */
export function caPublicUrls(baseUrl: string): { rootCertificate: string; crl: string; ocsp: string } {
  return { rootCertificate: `${baseUrl}/ca/root.crt`, crl: `${baseUrl}/ca/root.crl`, ocsp: `${baseUrl}/ca/ocsp` };
}

/**
 * Checks a public base URL (http or https, no query or fragment) and drops a trailing slash.
 * @throws AppError INVALID_ARGUMENT.
 */
export function normalizePublicBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, `The public base URL "${value}" is not a URL`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      `The public base URL must be an http(s) URL without query or fragment, e.g. ${DEFAULT_PUBLIC_BASE_URL}`,
    );
  }
  return url.href.replace(/\/+$/, '');
}
