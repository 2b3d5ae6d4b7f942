/**
 * @peculiar/x509, loaded on first use: it needs `reflect-metadata` first and costs tens of milliseconds to
 * import, which only the internal-CA code paths should pay. It uses the process's WebCrypto.
 */
import type * as X509 from '@peculiar/x509';

/** The @peculiar/x509 module namespace. */
export type X509Library = typeof X509;

let loading: Promise<X509Library> | undefined;

/** Imports @peculiar/x509 once and points it at Node's WebCrypto. */
export function loadX509(): Promise<X509Library> {
  loading ??= (async () => {
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(globalThis.crypto);
    return x509;
  })();
  return loading;
}
