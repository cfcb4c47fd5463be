/**
 * CRM writeback: turns `attempt.finished` engine events into CRM call records, and `attempt.wrapped-up` events
 * (a rep's wrap-up) into updates of those records; both may set the contact's DNC / wrong-number flags.
 *
 * Exactly once per attempt, with at-least-once delivery underneath: the event is acked only after the CRM
 * write succeeded, the write is idempotent by attemptId, and entries a crashed consumer read but never acked
 * are reclaimed (`claimStale`) and written again harmlessly. Rate limits are waited out, never dropped.
 */
import type { CallRecord, Crm } from './crm.js';
import type { Clock } from '../shared/clock.js';
import type { EventLog, StoredEvent } from '../engine/events.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { CallRecordNotFoundError, CrmRateLimitError } from './crm.js';

export { CallRecordNotFoundError, CrmRateLimitError };

/** The wait a rate-limit error asks for, or undefined when the error is not a rate limit. */
export function rateLimitDelayMs(error: unknown, fallbackMs = 1000): number | undefined {
  if (error instanceof CrmRateLimitError) return error.retryAfterMs;
  const e = error as { status?: unknown; code?: unknown; statusCode?: unknown; retryAfterMs?: unknown };
  if (e && (e.status === 429 || e.code === 429 || e.statusCode === 429)) {
    return typeof e.retryAfterMs === 'number' ? e.retryAfterMs : fallbackMs;
  }
  return undefined;
}

export type FinishedEvent = Extract<StoredEvent, { type: 'attempt.finished' }>;
export type WrappedUpEvent = Extract<StoredEvent, { type: 'attempt.wrapped-up' }>;
export type CorrectedEvent = Extract<StoredEvent, { type: 'attempt.corrected' }>;

export function toCallRecord(event: FinishedEvent): CallRecord {
  return {
    attemptId: event.attemptId,
    portalId: event.portalId,
    contactId: event.contactId,
    campaignId: event.campaignId,
    campaignName: event.campaignName,
    toNumber: event.to,
    fromNumber: event.from,
    startedAt: event.startedAt,
    durationSec: event.durationSec,
    disposition: event.disposition,
    outcomeLabel: event.outcomeLabel,
    notes: event.notes,
    recordingUrl: event.recordingUrl,
    providerCallId: event.providerCallId,
  };
}

export interface WritebackOptions {
  eventLog: EventLog;
  portalId: string;
  crm: Crm;
  /** Consumer group; all writeback processes share it. */
  group?: string;
  /** This process's consumer name (unique per process). */
  consumer: string;
  clock: Clock;
  logger: Logger;
  metrics?: Metrics;
  batchSize?: number;
  blockMs?: number;
  /** Entries pending this long (another consumer crashed) are taken over. */
  claimIdleMs?: number;
  /** How often (clock time) to look for such entries. */
  claimEveryMs?: number;
  /** Non-rate-limit failures of one event before it is left pending for a later retry. */
  maxTries?: number;
  /**
   * Tries of a wrap-up whose call record is not written yet (its attempt.finished is still in flight) before the
   * wrap-up is left pending; the reclaim picks it up again later, so it is delayed, never dropped.
   */
  notFoundTries?: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Jitter source in [0,1). */
  random?: () => number;
}

export interface WritebackStats {
  /** Events (finished attempts and wrap-ups) whose CRM writes completed and were acked. */
  written: number;
  /** Of those, wrap-ups applied to an existing call record. */
  wrappedUp: number;
  rateLimited: number;
  errors: number;
  /** Events left pending after repeated failures (reclaimed later). */
  deferred: number;
}

export interface Writeback {
  readonly stats: Readonly<WritebackStats>;
  /** Stops reading, finishes the batch in hand without waiting on retries, and resolves when the loop has ended. */
  stop(): Promise<void>;
}

export function startWriteback(options: WritebackOptions): Writeback {
  const {
    eventLog,
    portalId,
    crm,
    consumer,
    clock,
    logger,
    metrics,
    group = 'crm-writeback',
    batchSize = 50,
    blockMs = 1000,
    claimIdleMs = 60_000,
    claimEveryMs = 10_000,
    maxTries = 8,
    notFoundTries = 3,
    baseBackoffMs = 500,
    maxBackoffMs = 60_000,
    random = Math.random,
  } = options;
  const log = logger.child({ component: 'crm-writeback', consumer });
  const stats: WritebackStats = { written: 0, wrappedUp: 0, rateLimited: 0, errors: 0, deferred: 0 };
  const abort = new AbortController();
  let stopping = false;
  // Attempts this process already wrote: redelivered copies are acked without another CRM call.
  const written = new Set<string>();

  const backoff = (tries: number) =>
    Math.min(maxBackoffMs, baseBackoffMs * 2 ** Math.max(0, tries - 1)) * (0.5 + random() / 2);

  /** Runs one CRM operation until it succeeds; false when it must be left for later. */
  async function withRetry(operation: string, run: () => Promise<unknown>): Promise<boolean> {
    let failures = 0;
    let limited = 0;
    for (;;) {
      try {
        await run();
        metrics?.crmWrites.inc({ operation, result: 'ok' });
        return true;
      } catch (error) {
        const retryAfter = rateLimitDelayMs(error);
        if (retryAfter !== undefined) {
          limited += 1;
          stats.rateLimited += 1;
          metrics?.crmRateLimited.inc({ operation });
          if (stopping) return false;
          // The CRM's own hint first, plus growing jittered backoff so many writers do not retry in lockstep.
          const wait = retryAfter + backoff(limited) * Math.min(1, limited / 4);
          log.debug({ operation, wait }, 'CRM rate limit; waiting');
          await clock.sleep(wait, abort.signal);
          continue;
        }
        failures += 1;
        stats.errors += 1;
        metrics?.crmWrites.inc({ operation, result: 'error' });
        const notFound = error instanceof CallRecordNotFoundError;
        if (notFound && (failures >= notFoundTries || stopping)) {
          log.info({ operation, attemptId: error.attemptId }, 'call record not written yet; retrying later');
          return false;
        }
        if (failures >= maxTries || stopping) {
          log.error(
            { err: error, operation, failures },
            'CRM write keeps failing; leaving it pending for a retry',
          );
          return false;
        }
        log.warn({ err: error, operation, failures }, 'CRM write failed; retrying');
        await clock.sleep(backoff(failures), abort.signal);
      }
    }
  }

  /** DNC and wrong-number flags, from the call itself or from a rep's wrap-up. */
  async function applyFlags(event: FinishedEvent | WrappedUpEvent): Promise<boolean> {
    if (event.doNotCall) {
      const why = event.type === 'attempt.wrapped-up' ? 'Set in the wrap-up' : 'Requested during call';
      const ok = await withRetry('setDoNotCall', () =>
        crm.setDoNotCall(event.contactId, true, `${why} (${event.outcomeLabel})`),
      );
      if (!ok) return false;
    }
    if (event.wrongNumber) {
      const ok = await withRetry('markWrongNumber', () => crm.markWrongNumber(event.contactId, event.to));
      if (!ok) return false;
    }
    return true;
  }

  function remember(key: string): void {
    written.add(key);
    if (written.size > 50_000) written.delete(written.values().next().value as string);
  }

  async function handleWrapUp(event: WrappedUpEvent): Promise<boolean> {
    // Keyed by the stream entry: a rep may wrap the same attempt up twice, and both updates count.
    const key = `wrap:${event.id}`;
    if (written.has(key)) return true;
    // a wrap-up of an attempt that never reached the carrier: no call record to update, the flags still count
    const updated =
      event.placed === false ||
      (await withRetry('updateCall', () =>
        crm.updateCall(event.attemptId, {
          disposition: event.disposition,
          outcomeLabel: event.outcomeLabel,
          ...(event.notes !== undefined ? { notes: event.notes } : {}),
        }),
      ));
    if (!updated) return false;
    if (!(await applyFlags(event))) return false;
    remember(key);
    return true;
  }

  /** The real outcome of a call first recorded as lost (its final callback came late): update its record. */
  async function handleCorrection(event: CorrectedEvent): Promise<boolean> {
    const key = `corr:${event.id}`;
    if (written.has(key)) return true;
    const updated = await withRetry('updateCall', () =>
      crm.updateCall(event.attemptId, { disposition: event.disposition, outcomeLabel: event.outcomeLabel }),
    );
    if (!updated) return false;
    remember(key);
    return true;
  }

  /** Attempts whose call record a batch write of this batch already wrote. */
  const batchRecorded = new Set<string>();

  /** With a CRM that writes calls in batches: the batch's new calls in requests of up to 100. */
  async function recordInBatches(batch: readonly StoredEvent[]): Promise<void> {
    batchRecorded.clear();
    if (!crm.recordCalls) return;
    const fresh = batch.filter(
      (e): e is FinishedEvent =>
        e.type === 'attempt.finished' && e.placed !== false && !written.has(e.attemptId),
    );
    for (let i = 0; i < fresh.length; i += 100) {
      const chunk = fresh.slice(i, i + 100);
      // On failure the events fall back to one-by-one writes below (same idempotency key, no double).
      const ok = await withRetry('recordCalls', () => crm.recordCalls!(chunk.map(toCallRecord)));
      if (!ok) continue;
      for (const e of chunk) {
        batchRecorded.add(e.attemptId);
        metrics?.writebackLagSeconds.observe(Math.max(0, clock.now() - e.at) / 1000);
      }
    }
  }

  async function handle(event: FinishedEvent): Promise<boolean> {
    if (written.has(event.attemptId)) return true;
    // A dial that never reached the carrier is no call: nothing to log, but a DNC or wrong-number flag (a rep's
    // wrap-up applied by the finish) still reaches the contact.
    if (event.placed !== false && !batchRecorded.has(event.attemptId)) {
      const recorded = await withRetry('recordCall', () => crm.recordCall(toCallRecord(event)));
      if (!recorded) return false;
      metrics?.writebackLagSeconds.observe(Math.max(0, clock.now() - event.at) / 1000);
    }
    if (!(await applyFlags(event))) return false;
    remember(event.attemptId);
    return true;
  }

  async function handleBatch(batch: readonly StoredEvent[]): Promise<void> {
    const skip: string[] = [];
    // Attempts whose record could not be written in this batch: their wrap-ups wait too, without a try.
    const deferredAttempts = new Set<string>();
    await recordInBatches(batch);
    for (const event of batch) {
      if (
        event.type !== 'attempt.finished' &&
        event.type !== 'attempt.wrapped-up' &&
        event.type !== 'attempt.corrected'
      ) {
        skip.push(event.id);
        continue;
      }
      const done =
        event.type === 'attempt.finished'
          ? await handle(event)
          : event.type === 'attempt.corrected'
            ? !deferredAttempts.has(event.attemptId) && (await handleCorrection(event))
            : !deferredAttempts.has(event.attemptId) && (await handleWrapUp(event));
      if (done) {
        await eventLog.ack(portalId, group, [event.id]);
        stats.written += 1;
        if (event.type === 'attempt.wrapped-up') stats.wrappedUp += 1;
      } else {
        deferredAttempts.add(event.attemptId);
        stats.deferred += 1;
      }
    }
    if (skip.length) await eventLog.ack(portalId, group, skip);
  }

  /**
   * This consumer's own delivered-but-unacked entries, page by page. After a reconnect, a read whose reply was
   * lost left its entries pending on us; without this they would wait claimIdleMs for the reclaim. Entries
   * deferred again stay pending (the reclaim retries them later); the cursor moves past them.
   */
  async function drainOwnPending(): Promise<void> {
    let afterId = '0';
    while (!stopping) {
      const batch = await eventLog.readPending(portalId, group, consumer, { afterId, count: batchSize });
      if (batch.length === 0) return;
      log.info({ count: batch.length }, 'handling entries delivered to this consumer but never acked');
      await handleBatch(batch);
      afterId = batch[batch.length - 1]!.id;
    }
  }

  const loop = (async () => {
    let lastClaim = Number.NEGATIVE_INFINITY;
    // At start (a restart may reuse this consumer name) and after every error, before reading anything new.
    let recover = true;
    while (!stopping) {
      try {
        if (recover) {
          await eventLog.ensureGroup(portalId, group);
          await drainOwnPending();
          recover = false;
        }
        let batch: StoredEvent[] = [];
        if (clock.now() - lastClaim >= claimEveryMs) {
          lastClaim = clock.now();
          batch = await eventLog.claimStale(portalId, group, consumer, {
            minIdleMs: claimIdleMs,
            count: batchSize,
          });
          if (batch.length)
            log.info({ count: batch.length }, 'reclaimed entries another consumer left unacked');
        }
        if (batch.length === 0) {
          batch = await eventLog.readGroup(portalId, group, consumer, { count: batchSize, blockMs });
        }
        await handleBatch(batch);
      } catch (error) {
        // The event log itself failed (Redis restart): nothing was acked, so nothing is lost; try again shortly.
        // A read whose reply was lost left entries pending on us: recover them first on the next turn.
        recover = true;
        log.error({ err: error }, 'writeback loop error; retrying');
        await clock.sleep(Math.min(maxBackoffMs, 1000), abort.signal);
      }
    }
  })();

  return {
    stats,
    async stop() {
      stopping = true;
      abort.abort();
      await loop;
    },
  };
}
