/**
 * Reads a message from a parking queue back into a ParkedJob. Two kinds arrive there: those our consumer
 * parked (with reason and attempt headers) and those RabbitMQ dead-lettered after the delivery limit
 * (with only an `x-death` entry saying `delivery_limit`).
 */
import type { Message } from 'amqplib';
import type { ParkedJob } from '../queue-port.js';
import { ATTEMPT_HEADER, ATTEMPTS_HEADER, DELIVERY_LIMIT, PARKED_AT_HEADER, REASON_HEADER } from './amqp-topology.js';

interface DeathEntry {
  reason?: string;
  time?: { value?: number } | number;
}

function bodyOf(content: Buffer): unknown {
  const text = content.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text; // a body that was parked because it is not JSON comes back as its text
  }
}

function deathSeconds(death: DeathEntry | undefined): number | undefined {
  const time = death?.time;
  const value = typeof time === 'number' ? time : time?.value;
  return typeof value === 'number' ? value : undefined;
}

/** Converts a message got from `<prefix>.parked.<route>`. */
export function toParkedJob(route: string, msg: Message): ParkedJob {
  const headers = (msg.properties.headers ?? {}) as Record<string, unknown>;
  const death = (headers['x-death'] as DeathEntry[] | undefined)?.[0];
  const reason =
    typeof headers[REASON_HEADER] === 'string'
      ? (headers[REASON_HEADER] as string)
      : `delivery limit exceeded: delivered ${DELIVERY_LIMIT} times without an outcome ` +
        `(did a worker crash on it?; broker reason ${death?.reason ?? 'unknown'})`;
  const attempts = Number(headers[ATTEMPTS_HEADER] ?? headers[ATTEMPT_HEADER] ?? 1);
  const published = typeof msg.properties.timestamp === 'number' ? (msg.properties.timestamp as number) : undefined;
  const parkedAtMs = Number(headers[PARKED_AT_HEADER]) || (deathSeconds(death) ?? published ?? 0) * 1000;
  return {
    messageId: String(msg.properties.messageId ?? ''),
    route,
    body: bodyOf(msg.content),
    reason,
    attempts: Number.isFinite(attempts) ? attempts : 1,
    parkedAt: new Date(parkedAtMs),
  };
}
