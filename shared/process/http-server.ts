/** Listening and closing for the mains (apps never listen themselves, STYLE 13). */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ListeningServer {
  /** The address actually bound (the port is known also when 0 was asked for). */
  address: AddressInfo;
  /** Stops accepting, ends idle keep-alive connections and waits for requests in progress. */
  close(): Promise<void>;
}

/** Serves `callback` on host:port once the socket is bound. */
export async function listen(callback: http.RequestListener, host: string, port: number): Promise<ListeningServer> {
  const server = http.createServer(callback);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

/** A URL for people: 0.0.0.0 and :: are shown as localhost. */
export function displayUrl(address: AddressInfo): string {
  const host = ['0.0.0.0', '::', ''].includes(address.address) ? 'localhost' : address.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}
