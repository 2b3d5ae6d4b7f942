/**
 * The process's Bitrix24 side: one REST client (its per-portal leaky buckets and token caches must be shared
 * by everything in the process that calls a portal, reference §8.3 "share one instance per portal") and the
 * coalescer that batches its small calls, with the deal reads they share. Built once in each main from the
 * configuration; absent when the app's keys (B24_CLIENT_ID / B24_CLIENT_SECRET) are not configured.
 */
import type { Bitrix24Config } from '../config.js';
import type { MasterKey } from '../crypto/master-key.js';
import type { Logger } from '../logger.js';
import type { PortalRepository } from '../store/store-ports.js';
import { CallCoalescer } from './call-coalescer.js';
import { DealReads } from './deal-reads.js';
import type { EndpointPolicy } from './endpoint-policy.js';
import { PortalGate } from './portal-gate.js';
import { type Bitrix24Client, createBitrix24Client } from './rest-client.js';

export interface Bitrix24App {
  client: Bitrix24Client;
  calls: CallCoalescer;
  /** Deal reads shared by everything in the process that reads the same deal at about the same time. */
  deals: DealReads;
  /** Limits the direct calls (file downloads and uploads) per portal in flight (portal-gate.ts). */
  gate: PortalGate;
  policy: EndpointPolicy;
  /** The app's client_id: installs are confirmed to be ours. */
  clientId: string;
}

/** The process's Bitrix24 side, or undefined when the app's keys are not configured. */
export function createBitrix24App(options: {
  config: Bitrix24Config;
  portals: PortalRepository;
  masterKey: MasterKey;
  logger: Logger;
}): Bitrix24App | undefined {
  const { config, logger } = options;
  if (!config.app) return undefined;
  const policy: EndpointPolicy = { allowLoopback: config.allowLoopback, oauthHosts: config.oauthHosts };
  const client = createBitrix24Client({
    portals: options.portals,
    masterKey: options.masterKey,
    app: config.app,
    policy,
    logger: logger.child({ component: 'bitrix24' }),
    rateLimit: config.rateLimit,
    timeoutMs: config.timeoutMs,
  });
  const calls = new CallCoalescer(client, { logger });
  return {
    client,
    calls,
    deals: new DealReads(calls),
    gate: new PortalGate(),
    policy,
    clientId: config.app.clientId,
  };
}
