/**
 * Putting signed files on a deal (reference §6.2), every delivery of one deal waiting at the same time in one
 * round: one read-back and one `crm.item.update` for all of them, so several documents of one deal share
 * the deal's reads and its update, and a multiple field is rewritten once with every replacement in place
 * (two updates built from the same read would each delete the other's new file, §6.2: a missing id
 * deletes). Rounds of one deal run one after another; deals run side by side, and their reads and updates
 * travel in the portal's batches (call-coalescer.ts), a file too large for a batch as a call of its own.
 *
 * Idempotent by reading back, never by blind repeats: each round reads the deal anew (a read issued after
 * the round began); while a delivery's original file is still in its field the update has not happened and
 * is (re)sent; once it is gone, the field must hold a file whose SHA-256 is that of the signed bytes — the
 * delivery happened (ours, whose answer was lost, or an earlier run's) — else someone else replaced or
 * removed the file meanwhile and that delivery fails (DOCUMENT_CHANGED) rather than overwrite their change.
 * A lost answer (B24_OUTCOME_UNKNOWN, also when the batch it travelled in was lost) sends the delivery into
 * the next round; after MAX_ROUNDS the error goes to the caller (the queue retries the job).
 *
 * Across processes (several workers, each with its own lanes): a round holds the store's lease
 * `deal-deliveries/<member id>/<entity type>/<deal id>` from before its read-back until its update's answer
 * is settled — and on into the next round while deliveries of a lost answer wait to be read back — so no
 * other process reads that deal for an update meanwhile and writes a list without our new file. A round
 * that finds the lease taken polls for it with backoff for up to LEASE_WAIT_MS (longer than LEASE_TTL_MS, so
 * a dead holder's lease always expires within one wait), then fails with B24_UNAVAILABLE and the queue
 * retries the job. The holder renews the lease every LEASE_RENEW_MS while its round runs and releases it in
 * `finally`.
 */
import { createHash, randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Bitrix24App } from '../../shared/bitrix24/bitrix24-app.js';
import { repeatOnTokenRace } from '../../shared/bitrix24/token-race.js';
import type { DocumentRef } from '../../shared/domain/sign-request.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { LeaseRepository } from '../../shared/store/store-ports.js';
import type { DeliveryFacts } from '../gateways/document-gateway.js';
import { DEAL_ENTITY_TYPE_ID, type DealFile, type FileField, fileFieldOf, readDeal } from './deal-files.js';

export type DealRef = Extract<DocumentRef, { kind: 'bitrix24' }>;

/** Rounds a delivery takes part in (lost answers in a row) before its error goes to the caller. */
const MAX_ROUNDS = 3;
/** Uploads finish requests, downloads start them: under load, finishing goes first (portal-gate.ts). */
const UPLOAD_PRIORITY = 1;
/** Files of one field downloaded to find the delivered copy. */
const MAX_FILES_CHECKED = 10;

/**
 * The lease's lifetime. A round's worst case with the default settings (B24_TIMEOUT_SECONDS 30, 5 tries,
 * back-off 1–30 s) is about 7.5 minutes: the read-back and the update each up to 5 × 30 s of requests plus
 * about 20 s of back-off, a token refresh (15 s, up to 35 s waiting for another process's) and the portal's
 * rate-limit waits; waiting at the portal gate behind other calls adds to it without bound. The holder
 * therefore renews the lease every LEASE_RENEW_MS for as long as its round runs: the lease outlives any
 * round of a live holder, while a holder that died frees it within LEASE_TTL_MS.
 */
export const LEASE_TTL_MS = 120_000;
/** How often the holder renews the lease (a quarter of its lifetime: three renewals may fail before it ends). */
export const LEASE_RENEW_MS = 30_000;
/** How long a round waits for another process's lease before the job goes back to the queue. */
export const LEASE_WAIT_MS = 150_000;
/** Polling the lease: first gap, and the most it grows to. */
const POLL_FIRST_MS = 50;
const POLL_MAX_MS = 2_000;

/** The lease of the deliveries to one deal, across every process sharing the store. */
export const dealDeliveriesLease = (memberId: string, dealId: number) =>
  `deal-deliveries/${memberId}/${DEAL_ENTITY_TYPE_ID}/${dealId}`;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface Delivery {
  ref: DealRef & { fieldCode: string; fileId: string };
  bytes: Buffer;
  sha256: string;
  rounds: number;
  lastError: unknown;
  resolve: (facts: DeliveryFacts) => void;
  reject: (error: unknown) => void;
}

/**
 * One deal's deliveries in this process. Outcomes wait in `settled` until the lease is released, so a caller
 * that goes on to close the store (a worker shutting down) never leaves the lease behind to block others.
 */
interface Lane {
  pending: Delivery[];
  settled: (() => void)[];
}

interface Sending {
  delivery: Delivery;
  field: FileField;
}

export interface DealDeliveriesDeps {
  b24: Bitrix24App;
  /** Downloads one file of the deal (the gateway's: portal gate, size limit). */
  download: (ref: DealRef, file: DealFile) => Promise<Buffer>;
  logger: Logger;
  /** The store's leases (store.leases): one round per deal at a time across every process. */
  leases: LeaseRepository;
  /** Prefix of this instance's lease owners (each lane adds a number). @default host:pid:deliveries:<random> */
  owner?: string;
  /** Lease timing, for tests. @default LEASE_TTL_MS, LEASE_RENEW_MS, LEASE_WAIT_MS */
  lease?: { ttlMs?: number; renewMs?: number; waitMs?: number };
}

function facts(d: Delivery, fileId: string): DeliveryFacts {
  return { fieldCode: d.ref.fieldCode, fileId, replacedFileId: d.ref.fileId, bytes: d.bytes.length };
}

/** The new file that replaced `fileId` in the update's answer (by position when several were replaced). */
function replacementOf(item: Record<string, unknown> | undefined, before: FileField, fileId: string, inField: number) {
  const after = item ? fileFieldOf(item, before.code) : undefined;
  if (!after) return undefined;
  const old = new Set(before.files.map((f) => f.id));
  if (inField === 1) return after.files.find((f) => !old.has(f.id))?.id;
  const candidate = after.files[before.files.findIndex((f) => f.id === fileId)];
  return candidate && !old.has(candidate.id) ? candidate.id : undefined;
}

/** The deliveries of a worker process, by deal. */
export class DealDeliveries {
  readonly #lanes = new Map<string, Lane>();
  readonly #owner: string;
  readonly #ttlMs: number;
  readonly #renewMs: number;
  readonly #waitMs: number;
  #drains = 0;

  constructor(private readonly deps: DealDeliveriesDeps) {
    this.#owner = deps.owner ?? `${os.hostname()}:${process.pid}:deliveries:${randomUUID().slice(0, 8)}`;
    this.#ttlMs = deps.lease?.ttlMs ?? LEASE_TTL_MS;
    this.#renewMs = deps.lease?.renewMs ?? LEASE_RENEW_MS;
    this.#waitMs = deps.lease?.waitMs ?? LEASE_WAIT_MS;
  }

  /** Delivers `bytes` in place of `ref`'s file; resolves once the deal holds them. */
  deliver(ref: DealRef, bytes: Buffer): Promise<DeliveryFacts> {
    if (!ref.fieldCode || !ref.fileId) {
      return Promise.reject(new AppError(ErrorCode.INTERNAL, 'deliver before the deal file was resolved'));
    }
    return new Promise<DeliveryFacts>((resolve, reject) => {
      const key = `${ref.memberId}|${ref.entityId}`;
      const existing = this.#lanes.get(key);
      const lane: Lane = existing ?? { pending: [], settled: [] };
      lane.pending.push({
        ref: ref as Delivery['ref'],
        bytes,
        sha256: sha256(bytes),
        rounds: 0,
        lastError: undefined,
        resolve: (facts) => lane.settled.push(() => resolve(facts)),
        reject: (error) => lane.settled.push(() => reject(error)),
      });
      if (!existing) {
        this.#lanes.set(key, lane);
        void this.drain(key, lane);
      }
    });
  }

  private async drain(key: string, lane: Lane): Promise<void> {
    const [memberId, dealId] = [lane.pending[0]?.ref.memberId as string, lane.pending[0]?.ref.entityId as number];
    const lease = dealDeliveriesLease(memberId, dealId);
    // An owner of this lane's own: a later lane of the same deal must wait for this one's release, not
    // re-enter its lease (the re-entrance is for the renewal only).
    const owner = `${this.#owner}:${++this.#drains}`;
    let held: { release: () => Promise<void> } | undefined;
    try {
      while (lane.pending.length > 0) {
        try {
          held ??= await this.takeLease(lease, owner, memberId, dealId);
        } catch (error) {
          for (const d of lane.pending.splice(0)) d.reject(error);
          break;
        }
        // Read first, then take every delivery waiting by the time the answer came: all of them are checked
        // against a read issued after this lane's previous update and after their own lost attempts.
        let item: Record<string, unknown>;
        try {
          item = (await readDeal(this.deps.b24, memberId, dealId, Date.now())).item;
        } catch (error) {
          for (const d of lane.pending.splice(0)) d.reject(error);
          break;
        }
        const round = lane.pending.splice(0);
        for (const d of round) d.rounds++;
        let again: Delivery[] = [];
        let checks: Promise<unknown> = Promise.resolve();
        try {
          ({ again, checks } = await this.round(dealId, item, round));
        } catch (error) {
          for (const d of round) d.reject(error);
        }
        for (const d of again) {
          if (d.rounds < MAX_ROUNDS) lane.pending.push(d);
          else {
            d.reject(
              d.lastError ??
                new AppError(
                  ErrorCode.B24_METHOD_FAILED,
                  `Deal ${d.ref.entityId}: the update did not take the signed file`,
                ),
            );
          }
        }
        // The update is settled. Deliveries going into another round (a lost answer, a file the answer did
        // not show) keep the lease: their read-back must come before anyone else's update. Otherwise it is
        // free for other processes while the files that were already gone are downloaded and compared.
        if (!again.some((d) => lane.pending.includes(d))) {
          await held.release();
          held = undefined;
        }
        await checks;
        if (!held) settle(lane);
      }
    } finally {
      // At once, before any wait: a delivery arriving from now on starts a lane of its own.
      this.#lanes.delete(key);
      await held?.release();
      settle(lane);
    }
  }

  /**
   * Takes the deal's lease, waiting (polling with backoff) while another process holds it; returns its
   * release. The lease is renewed while held.
   * @throws AppError B24_UNAVAILABLE when it stays taken for LEASE_WAIT_MS (the queue retries the job).
   */
  private async takeLease(
    name: string,
    owner: string,
    memberId: string,
    dealId: number,
  ): Promise<{ release: () => Promise<void> }> {
    const { leases, logger } = this.deps;
    const deadline = Date.now() + this.#waitMs;
    let gap = POLL_FIRST_MS;
    let waited = false;
    while (!(await leases.acquire(name, owner, this.#ttlMs))) {
      if (!waited) logger.info({ memberId, dealId }, 'another process is delivering to this deal; waiting for it');
      waited = true;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new AppError(
          ErrorCode.B24_UNAVAILABLE,
          `Deal ${dealId}: another worker process has been delivering to it for too long; the delivery will be retried`,
          { details: { memberId, dealId } },
        );
      }
      await sleep(Math.min(left, gap * (0.75 + Math.random() * 0.5)));
      gap = Math.min(POLL_MAX_MS, gap * 2);
    }
    const renewal = setInterval(() => {
      leases.acquire(name, owner, this.#ttlMs).then(
        (kept) => {
          if (!kept) logger.error({ memberId, dealId }, 'deal delivery lease was taken over while its round ran');
        },
        (error: unknown) => logger.warn({ memberId, dealId, error }, 'deal delivery lease not renewed'),
      );
    }, this.#renewMs);
    renewal.unref();
    return {
      release: async () => {
        clearInterval(renewal);
        await leases.release(name, owner).catch((error: unknown) => {
          // It expires by itself; until then other processes wait for it.
          logger.warn({ memberId, dealId, error }, 'deal delivery lease not released');
        });
      },
    };
  }

  /**
   * Settles `round` against the deal as `item` shows it: returns, once the update is settled, the
   * deliveries that need another round and the comparisons of files already gone (they need no lease).
   */
  private async round(
    dealId: number,
    item: Record<string, unknown>,
    round: Delivery[],
  ): Promise<{ again: Delivery[]; checks: Promise<unknown> }> {
    const memberId = (round[0] as Delivery).ref.memberId;
    const again: Delivery[] = [];
    const sending: Sending[] = [];
    const checks: Promise<void>[] = [];
    for (const d of round) {
      const field = fileFieldOf(item, d.ref.fieldCode);
      if (!field) d.reject(missing(`Deal ${dealId} has no file field ${d.ref.fieldCode} any more`));
      else if (!field.files.some((f) => f.id === d.ref.fileId)) checks.push(this.settleGone(d, field));
      // The same file twice (two requests for one file): the second finds it replaced in the next round.
      else if (
        sending.some((s) => s.delivery.ref.fieldCode === d.ref.fieldCode && s.delivery.ref.fileId === d.ref.fileId)
      )
        again.push(d);
      else sending.push({ delivery: d, field });
    }
    const checked = Promise.all(checks);
    try {
      if (sending.length > 0) again.push(...(await this.update(memberId, dealId, sending)));
    } catch (error) {
      await checked;
      throw error;
    }
    return { again, checks: checked };
  }

  /** The original is gone: delivered already (a copy with our hash is there), or changed by someone else. */
  private async settleGone(d: Delivery, field: FileField): Promise<void> {
    try {
      for (const file of field.files.slice(0, MAX_FILES_CHECKED)) {
        if (sha256(await this.deps.download(d.ref, file)) === d.sha256) return d.resolve(facts(d, file.id));
      }
      d.reject(
        new AppError(
          ErrorCode.DOCUMENT_CHANGED,
          `File ${d.ref.fileId} of deal ${d.ref.entityId} was replaced or removed by someone else while it was being signed; the signed copy was not put on the deal`,
        ),
      );
    } catch (error) {
      d.reject(error);
    }
  }

  /** One `crm.item.update` replacing every file of `sending`; returns the deliveries to read back again. */
  private async update(memberId: string, dealId: number, sending: Sending[]): Promise<Delivery[]> {
    const { b24, logger } = this.deps;
    const fields: Record<string, unknown> = {};
    for (const { field } of sending) {
      if (field.code in fields) continue;
      const ours = sending.filter((s) => s.field.code === field.code).map((s) => s.delivery);
      // The name people know the document by; a portal that sent none gets a descriptive one.
      const upload = (d: Delivery) => [d.ref.fileName ?? `deal-${dealId}-signed.pdf`, d.bytes.toString('base64')];
      const mine = (id: string) => ours.find((d) => d.ref.fileId === id);
      fields[field.code] = field.multiple
        ? field.files.map((f) => {
            const d = mine(f.id);
            return d ? upload(d) : { id: f.id };
          })
        : upload(ours[0] as Delivery);
    }
    const params = { entityTypeId: DEAL_ENTITY_TYPE_ID, id: dealId, useOriginalUfNames: 'Y', fields };
    const fileBytes = sending.reduce((sum, s) => sum + s.delivery.bytes.length, 0);
    const issuedAt = Date.now();
    let item: Record<string, unknown> | undefined;
    try {
      const answer = b24.calls.carriesFile(fileBytes)
        ? await b24.calls.call<{ item?: Record<string, unknown> }>(memberId, 'crm.item.update', params)
        : // Too large for a batch: a call of its own, at most a few per portal at once. A token race means
          // the update was refused, not run: repeating it cannot apply it twice.
          (
            await b24.gate.run(memberId, UPLOAD_PRIORITY, () =>
              repeatOnTokenRace(() =>
                b24.client.call<{ item?: Record<string, unknown> }>(memberId, 'crm.item.update', params),
              ),
            )
          ).result;
      item = answer?.item;
    } catch (error) {
      const lost = error instanceof AppError && error.code === ErrorCode.B24_OUTCOME_UNKNOWN;
      if (!lost) {
        for (const s of sending) s.delivery.reject(error);
        return [];
      }
      logger.warn({ memberId, dealId, files: sending.length }, 'deal update answer lost; reading back');
      for (const s of sending) s.delivery.lastError = error;
      return sending.map((s) => s.delivery);
    }
    if (item) b24.deals.remember(memberId, dealId, item, issuedAt);
    const again: Delivery[] = [];
    for (const { delivery, field } of sending) {
      const inField = sending.filter((s) => s.field.code === field.code).length;
      const id = replacementOf(item, field, delivery.ref.fileId, inField);
      if (id) delivery.resolve(facts(delivery, id));
      else again.push(delivery); // the answer did not show it: the next round reads back
    }
    return again;
  }
}

/** Hands the outcomes decided so far to their callers. */
function settle(lane: Lane): void {
  for (const done of lane.settled.splice(0)) done();
}

function missing(message: string): AppError {
  return new AppError(ErrorCode.DOCUMENT_MISSING, message);
}
