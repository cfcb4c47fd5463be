/**
 * Exactly-once CRM writeback under at-least-once delivery. The event log is the engine's real MemoryStore (the
 * Redis store passes the same contract suite); the clock is virtual, so backoff costs no real time.
 */
import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import type { Clock } from '../../src/shared/clock.js';
import type { EngineEvent, EventLog } from '../../src/engine/events.js';
import { LocalSampleCrm } from '../../src/crm/local-sample-crm.js';
import {
  CallRecordNotFoundError,
  CrmRateLimitError,
  rateLimitDelayMs,
  startWriteback,
} from '../../src/crm/writeback.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { MemoryStore } from '../../src/engine/store/memory-store.js';
import { seededRandom } from '../../src/domain/random.js';

const PORTAL = 'p1';
const GROUP = 'crm-writeback';
const logger = createLogger({ level: 'silent' });

function virtualClock(start = 1_000_000): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    advance: (ms) => (now += ms),
    sleep: async (ms) => {
      now += Math.max(0, ms);
      await new Promise((r) => setImmediate(r));
    },
  };
}

function finished(n: number, extra: Partial<EngineEvent> = {}): EngineEvent {
  return {
    type: 'attempt.finished',
    portalId: PORTAL,
    campaignId: 'camp',
    campaignName: 'Spring',
    attemptId: `att-${n}`,
    contactId: `c${n % 7}`,
    to: `+1305555${String(100 + (n % 100)).padStart(4, '0')}`,
    from: '+13055550100',
    startedAt: 999_000,
    durationSec: 12,
    disposition: 'CONNECTED',
    outcomeLabel: 'Connected',
    nextState: 'reached',
    at: 999_500,
    ...extra,
  } as EngineEvent;
}

/** A store whose event log runs on `clock`, and its pending-entry count (read after the consumer stopped). */
function eventStore(clock: Clock = virtualClock()) {
  const store = new MemoryStore(clock);
  return {
    log: store,
    /** Entries delivered to the group but never acked (claiming them all is harmless once nobody consumes). */
    pending: async () =>
      (await store.claimStale(PORTAL, GROUP, 'inspector', { minIdleMs: 0, count: 10_000 })).length,
  };
}

function crmWithContacts() {
  const crm = new LocalSampleCrm();
  crm.addContacts(
    'all',
    Array.from({ length: 7 }, (_, i) => ({ id: `c${i}`, phone: `+1305555010${i}` })),
  );
  return crm;
}

function wrappedUp(n: number, extra: Partial<EngineEvent> = {}): EngineEvent {
  return {
    type: 'attempt.wrapped-up',
    portalId: PORTAL,
    campaignId: 'camp',
    attemptId: `att-${n}`,
    contactId: `c${n % 7}`,
    to: `+1305555${String(100 + (n % 100)).padStart(4, '0')}`,
    disposition: 'CONNECTED',
    outcomeLabel: 'Interested, send a quote',
    notes: `rep notes ${n}`,
    nextState: 'reached',
    at: 999_900,
    ...extra,
  } as EngineEvent;
}

/** Polls (real time, bounded) until the condition holds; `onPoll` may move a virtual clock meanwhile. */
async function until(condition: () => boolean, what: string, onPoll?: () => void): Promise<void> {
  for (let i = 0; i < 5000; i++) {
    if (condition()) return;
    onPoll?.();
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`never happened: ${what}`);
}

function oneRecordPerAttempt(crm: LocalSampleCrm, attemptIds: Set<string>) {
  const ids = crm.allCalls().map((c) => c.attemptId);
  expect(ids.length).toBe(attemptIds.size);
  expect(new Set(ids)).toEqual(attemptIds);
}

describe('startWriteback', () => {
  it('writes each finished attempt once, applies DNC and wrong-number flags, acks everything', async () => {
    const clock = virtualClock();
    const { log, pending } = eventStore(clock);
    const crm = crmWithContacts();
    const metrics = createMetrics();
    await log.append(PORTAL, {
      type: 'enrollment',
      portalId: PORTAL,
      campaignId: 'camp',
      at: 1,
      enrolled: 3,
      skipped: {},
    });
    await log.append(PORTAL, finished(1));
    await log.append(
      PORTAL,
      finished(2, {
        doNotCall: true,
        disposition: 'DO_NOT_CALL',
        outcomeLabel: 'Do not call',
      } as Partial<EngineEvent>),
    );
    await log.append(
      PORTAL,
      finished(3, {
        wrongNumber: true,
        disposition: 'WRONG_NUMBER',
        outcomeLabel: 'Wrong number',
      } as Partial<EngineEvent>),
    );
    const wb = startWriteback({
      eventLog: log,
      portalId: PORTAL,
      crm,
      consumer: 'w1',
      clock,
      logger,
      metrics,
      blockMs: 5,
    });
    await until(() => wb.stats.written === 3, 'all written');
    await wb.stop();
    expect(await pending()).toBe(0);
    oneRecordPerAttempt(crm, new Set(['att-1', 'att-2', 'att-3']));
    expect(crm.contact('c2')?.doNotCall).toBe(true);
    expect(crm.contact('c1')?.doNotCall).toBeUndefined();
    expect(crm.wrongNumbersOf('c3')).toEqual(['+13055550103']);
    expect(crm.callsFor('c1')[0]).toMatchObject({
      attemptId: 'att-1',
      toNumber: '+13055550101',
      disposition: 'CONNECTED',
      campaignName: 'Spring',
    });
    expect(await metrics.registry.metrics()).toContain('autodial_writeback_lag_seconds_count 3');
  });

  it('writes no call record for an attempt that never reached the carrier, and acks it', async () => {
    const clock = virtualClock();
    const { log, pending } = eventStore(clock);
    const crm = crmWithContacts();
    await log.append(PORTAL, finished(1));
    await log.append(PORTAL, finished(2, { placed: false, disposition: 'FAILED' } as Partial<EngineEvent>));
    // a rep's DNC wrap-up applied by the finish of a dial that never went out: the flag still lands
    await log.append(
      PORTAL,
      finished(4, {
        placed: false,
        doNotCall: true,
        disposition: 'DO_NOT_CALL',
        outcomeLabel: 'Do not call',
      } as Partial<EngineEvent>),
    );
    const wb = startWriteback({
      eventLog: log,
      portalId: PORTAL,
      crm,
      consumer: 'w1',
      clock,
      logger,
      blockMs: 5,
    });
    await until(() => wb.stats.written === 3, 'all handled');
    await wb.stop();
    expect(await pending()).toBe(0);
    expect(crm.allCalls().map((c) => c.attemptId)).toEqual(['att-1']);
    expect(crm.contact('c4')?.doNotCall).toBe(true);
  });

  it('writes once when the same event is delivered twice', async () => {
    const { log, pending } = eventStore();
    const crm = crmWithContacts();
    await log.append(PORTAL, finished(1));
    await log.append(PORTAL, finished(1));
    await log.append(PORTAL, finished(2));
    // A second process with an empty memory also sees a copy: the CRM's idempotency holds the line.
    const a = startWriteback({
      eventLog: log,
      portalId: PORTAL,
      crm,
      consumer: 'a',
      clock: virtualClock(),
      logger,
      blockMs: 5,
    });
    await until(() => a.stats.written === 3, 'first pass');
    await a.stop();
    expect(await pending()).toBe(0);
    await log.append(PORTAL, finished(2));
    const b = startWriteback({
      eventLog: log,
      portalId: PORTAL,
      crm,
      consumer: 'b',
      clock: virtualClock(),
      logger,
      blockMs: 5,
    });
    await until(() => b.stats.written === 1, 'second pass');
    await b.stop();
    expect(await pending()).toBe(0);
    oneRecordPerAttempt(crm, new Set(['att-1', 'att-2']));
    expect(crm.counts().duplicateWritesIgnored).toBe(1);
  });

  it('after a consumer crash (read, maybe written, never acked) another consumer reclaims and still one record', async () => {
    const clock = virtualClock(5_000_000);
    const { log, pending } = eventStore(clock);
    const crm = crmWithContacts();
    for (let n = 1; n <= 6; n++) await log.append(PORTAL, finished(n));
    await log.ensureGroup(PORTAL, GROUP);
    // The crashed consumer read four entries, wrote two of them to the CRM, and died before acking.
    const read = await log.readGroup(PORTAL, GROUP, 'crashed', { count: 4, blockMs: 0 });
    expect(read).toHaveLength(4);
    await crm.recordCall({
      attemptId: 'att-1',
      portalId: PORTAL,
      contactId: 'c1',
      campaignId: 'camp',
      toNumber: '+13055550101',
      fromNumber: '+13055550100',
      startedAt: 0,
      durationSec: 1,
      disposition: 'CONNECTED',
      outcomeLabel: 'Connected',
    });
    await crm.recordCall({
      attemptId: 'att-2',
      portalId: PORTAL,
      contactId: 'c2',
      campaignId: 'camp',
      toNumber: '+13055550102',
      fromNumber: '+13055550100',
      startedAt: 0,
      durationSec: 1,
      disposition: 'CONNECTED',
      outcomeLabel: 'Connected',
    });
    clock.advance(120_000);
    const wb = startWriteback({
      eventLog: log,
      portalId: PORTAL,
      crm,
      consumer: 'survivor',
      clock,
      logger,
      blockMs: 5,
      claimIdleMs: 60_000,
    });
    await until(() => wb.stats.written === 6, 'reclaimed and written');
    await wb.stop();
    expect(await pending()).toBe(0);
    oneRecordPerAttempt(crm, new Set(['att-1', 'att-2', 'att-3', 'att-4', 'att-5', 'att-6']));
  });

  it('after a read whose reply was lost, writes those entries at once, not after the reclaim idle time', async () => {
    const clock = virtualClock(5_000_000);
    const { log, pending } = eventStore(clock);
    const crm = crmWithContacts();
    for (let n = 1; n <= 5; n++) await log.append(PORTAL, finished(n));
    // The connection drops after Redis delivered the first read: its entries are pending on this consumer.
    let lost = 0;
    const dropping: EventLog = Object.create(log) as EventLog;
    dropping.readGroup = async (...args) => {
      const delivered = await log.readGroup(...args);
      if (lost === 0 && delivered.length > 0) {
        lost = delivered.length;
        throw new Error('ECONNRESET: reply lost');
      }
      return delivered;
    };
    const claimIdleMs = 3_600_000;
    const wb = startWriteback({
      eventLog: dropping,
      portalId: PORTAL,
      crm,
      consumer: 'w1',
      clock,
      logger,
      blockMs: 5,
      claimIdleMs,
    });
    await until(() => wb.stats.written === 5, 'lost entries written');
    await wb.stop();
    expect(lost).toBe(5);
    // Only the loop's short error pause passed: the reclaim (1 h idle) had no part in it.
    expect(clock.now() - 5_000_000).toBeLessThan(claimIdleMs);
    expect(await pending()).toBe(0);
    oneRecordPerAttempt(crm, new Set(['att-1', 'att-2', 'att-3', 'att-4', 'att-5']));
  });

  it('at start, writes what this consumer name read but never acked before a restart', async () => {
    const clock = virtualClock(5_000_000);
    const { log, pending } = eventStore(clock);
    const crm = crmWithContacts();
    for (let n = 1; n <= 7; n++) await log.append(PORTAL, finished(n));
    await log.ensureGroup(PORTAL, GROUP);
    // The previous process with the same consumer name (a container's pid 1) read three and died.
    expect(await log.readGroup(PORTAL, GROUP, 'pod-1', { count: 3, blockMs: 0 })).toHaveLength(3);
    const wb = startWriteback({
      eventLog: log,
      portalId: PORTAL,
      crm,
      consumer: 'pod-1',
      clock,
      logger,
      blockMs: 5,
      batchSize: 2, // the pending entries come in pages
      claimIdleMs: 3_600_000,
    });
    await until(() => wb.stats.written === 7, 'all written');
    await wb.stop();
    expect(clock.now() - 5_000_000).toBeLessThan(3_600_000);
    expect(await pending()).toBe(0);
    oneRecordPerAttempt(crm, new Set([1, 2, 3, 4, 5, 6, 7].map((n) => `att-${n}`)));
  });

  it('waits out a 429 storm and eventually writes everything exactly once', async () => {
    const clock = virtualClock();
    const { log, pending } = eventStore(clock);
    const crm = crmWithContacts();
    crm.setRateLimit({ rate: 0.8, retryAfterMs: 2000, random: seededRandom(7) });
    const metrics = createMetrics();
    const ids = new Set<string>();
    for (let n = 1; n <= 40; n++) {
      ids.add(`att-${n}`);
      await log.append(PORTAL, finished(n, n % 5 === 0 ? ({ doNotCall: true } as Partial<EngineEvent>) : {}));
    }
    const wb = startWriteback({
      eventLog: log,
      portalId: PORTAL,
      crm,
      consumer: 'w',
      clock,
      logger,
      metrics,
      blockMs: 5,
      random: seededRandom(3),
    });
    await until(() => wb.stats.written === 40, 'storm weathered');
    await wb.stop();
    expect(await pending()).toBe(0);
    oneRecordPerAttempt(crm, ids);
    expect(wb.stats.rateLimited).toBeGreaterThan(40);
    expect(wb.stats.deferred).toBe(0);
    expect(crm.contact('c5')?.doNotCall).toBe(true);
    expect(await metrics.registry.metrics()).toMatch(
      /autodial_crm_rate_limited_total\{operation="recordCall"\} [1-9]\d*/,
    );
  });

  it('retries other errors with backoff, and leaves a persistently failing event pending, never acked', async () => {
    const { log, pending } = eventStore();
    const crm = crmWithContacts();
    let failuresLeft = 3;
    const flaky = Object.create(crm) as LocalSampleCrm;
    flaky.recordCall = async (record) => {
      if (record.attemptId === 'att-9') throw new Error('HubSpot 400: property invalid');
      if (failuresLeft-- > 0) throw new Error('ECONNRESET');
      return crm.recordCall(record);
    };
    await log.append(PORTAL, finished(1));
    await log.append(PORTAL, finished(9));
    await log.append(PORTAL, finished(2));
    const wb = startWriteback({
      eventLog: log,
      portalId: PORTAL,
      crm: flaky,
      consumer: 'w',
      clock: virtualClock(),
      logger,
      blockMs: 5,
      maxTries: 4,
      claimIdleMs: 3_600_000,
    });
    await until(() => wb.stats.written === 2 && wb.stats.deferred >= 1, 'good ones written');
    await wb.stop();
    oneRecordPerAttempt(crm, new Set(['att-1', 'att-2']));
    expect(await pending()).toBe(1);
  });

  it('property: any duplication, crash point and 429 rate ends with one record per attempt and nothing pending', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 25 }),
        fc.nat({ max: 25 }),
        fc.double({ min: 0, max: 0.85, noNaN: true }),
        fc.integer({ min: 1, max: 1000 }),
        async (attemptNumbers, crashAfter, rate, seed) => {
          const clock = virtualClock(10_000_000);
          const { log, pending } = eventStore(clock);
          const crm = crmWithContacts();
          crm.setRateLimit({ rate, retryAfterMs: 500, random: seededRandom(seed) });
          for (const n of attemptNumbers) await log.append(PORTAL, finished(n));
          await log.ensureGroup(PORTAL, GROUP);
          await log.readGroup(PORTAL, GROUP, 'crashed', { count: crashAfter, blockMs: 0 });
          clock.advance(120_000);
          const wb = startWriteback({
            eventLog: log,
            portalId: PORTAL,
            crm,
            consumer: 'ok',
            clock,
            logger,
            blockMs: 2,
            claimIdleMs: 60_000,
            random: seededRandom(seed + 1),
          });
          await until(() => wb.stats.written === attemptNumbers.length, 'drained');
          await wb.stop();
          expect(await pending()).toBe(0);
          oneRecordPerAttempt(crm, new Set(attemptNumbers.map((n) => `att-${n}`)));
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('startWriteback: wrap-ups', () => {
  it('applies a wrap-up to the existing call record and sets its flags, once', async () => {
    const clock = virtualClock();
    const { log, pending } = eventStore(clock);
    const crm = crmWithContacts();
    await log.append(PORTAL, finished(1));
    await log.append(PORTAL, finished(2));
    await log.append(PORTAL, wrappedUp(1));
    await log.append(
      PORTAL,
      wrappedUp(2, {
        disposition: 'WRONG_NUMBER',
        outcomeLabel: 'Wrong number',
        wrongNumber: true,
        doNotCall: true,
        nextState: 'dnc',
      } as Partial<EngineEvent>),
    );
    const wb = startWriteback({
      eventLog: log,
      portalId: PORTAL,
      crm,
      consumer: 'w',
      clock,
      logger,
      blockMs: 5,
    });
    await until(() => wb.stats.written === 4, 'records and wrap-ups written');
    await wb.stop();
    expect(await pending()).toBe(0);
    expect(wb.stats.wrappedUp).toBe(2);
    expect(crm.allCalls()).toHaveLength(2);
    expect(crm.callByAttempt('att-1')).toMatchObject({
      disposition: 'CONNECTED',
      outcomeLabel: 'Interested, send a quote',
      notes: 'rep notes 1',
      durationSec: 12,
    });
    expect(crm.callByAttempt('att-2')).toMatchObject({
      disposition: 'WRONG_NUMBER',
      outcomeLabel: 'Wrong number',
    });
    expect(crm.contact('c2')?.doNotCall).toBe(true);
    expect(crm.wrongNumbersOf('c2')).toEqual(['+13055550102']);
    expect(crm.contact('c1')?.doNotCall).toBeUndefined();
  });

  it('applies the flags of a wrap-up of an attempt that never reached the carrier, with no call record to wait for', async () => {
    const clock = virtualClock();
    const { log, pending } = eventStore(clock);
    const crm = crmWithContacts();
    await log.append(PORTAL, finished(3, { placed: false, disposition: 'FAILED' } as Partial<EngineEvent>));
    await log.append(
      PORTAL,
      wrappedUp(3, {
        placed: false,
        doNotCall: true,
        disposition: 'DO_NOT_CALL',
        outcomeLabel: 'Do not call',
      } as Partial<EngineEvent>),
    );
    const wb = startWriteback({
      eventLog: log,
      portalId: PORTAL,
      crm,
      consumer: 'w1',
      clock,
      logger,
      blockMs: 5,
    });
    await until(() => wb.stats.written === 2, 'both handled');
    await wb.stop();
    expect(await pending()).toBe(0);
    expect(crm.allCalls()).toEqual([]);
    expect(crm.contact('c3')?.doNotCall).toBe(true);
  });

  it('keeps a wrap-up whose call record is not written yet pending, and applies it once the record exists', async () => {
    const clock = virtualClock();
    const { log, pending } = eventStore(clock);
    const crm = crmWithContacts();
    // The attempt.finished is being written by another consumer: only the wrap-up reaches this one.
    await log.append(PORTAL, wrappedUp(3, { disposition: 'DECLINED' } as Partial<EngineEvent>));
    const wb = startWriteback({
      eventLog: log,
      portalId: PORTAL,
      crm,
      consumer: 'w',
      clock,
      logger,
      blockMs: 5,
      claimIdleMs: 60_000,
      claimEveryMs: 1000,
    });
    await until(() => wb.stats.deferred >= 1, 'wrap-up deferred');
    expect(wb.stats.written).toBe(0);
    expect(crm.callByAttempt('att-3')).toBeUndefined();
    await expect(
      crm.updateCall('att-3', { disposition: 'DECLINED', outcomeLabel: 'x' }),
    ).rejects.toBeInstanceOf(CallRecordNotFoundError);
    await crm.recordCall({
      attemptId: 'att-3',
      portalId: PORTAL,
      contactId: 'c3',
      campaignId: 'camp',
      toNumber: '+13055550103',
      fromNumber: '+13055550100',
      startedAt: 0,
      durationSec: 40,
      disposition: 'CONNECTED',
      outcomeLabel: 'Connected',
    });
    await until(
      () => wb.stats.wrappedUp === 1,
      'wrap-up reclaimed and applied',
      () => clock.advance(30_000),
    );
    await wb.stop();
    expect(await pending()).toBe(0);
    expect(crm.callByAttempt('att-3')).toMatchObject({ disposition: 'DECLINED', durationSec: 40 });
  });

  it('property: wrap-ups before or after their record, duplicates, 429s and a crash end with every wrap-up applied', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 12 }),
        fc.nat({ max: 20 }),
        fc.double({ min: 0, max: 0.6, noNaN: true }),
        fc.integer({ min: 1, max: 1000 }),
        async (attempts, extra, crashAfter, rate, seed) => {
          const clock = virtualClock(20_000_000);
          const { log, pending } = eventStore(clock);
          const crm = crmWithContacts();
          crm.setRateLimit({ rate, retryAfterMs: 500, random: seededRandom(seed) });
          // Each attempt: its finished event and one wrap-up, in either order; plus redelivered copies.
          const events: EngineEvent[] = [];
          for (const [i, n] of attempts.entries()) {
            const pair = [finished(n), wrappedUp(n, { outcomeLabel: `wrap ${n}` } as Partial<EngineEvent>)];
            events.push(...(i % 2 === 0 ? pair : pair.reverse()));
          }
          for (const [pick, wrap] of extra) {
            const n = attempts[pick % attempts.length]!;
            events.push(
              wrap ? wrappedUp(n, { outcomeLabel: `wrap ${n}` } as Partial<EngineEvent>) : finished(n),
            );
          }
          for (const event of events) await log.append(PORTAL, event);
          await log.ensureGroup(PORTAL, GROUP);
          await log.readGroup(PORTAL, GROUP, 'crashed', { count: crashAfter, blockMs: 0 });
          const wb = startWriteback({
            eventLog: log,
            portalId: PORTAL,
            crm,
            consumer: 'ok',
            clock,
            logger,
            blockMs: 2,
            claimIdleMs: 60_000,
            claimEveryMs: 1000,
            random: seededRandom(seed + 1),
          });
          await until(
            () => wb.stats.written === events.length,
            'drained',
            () => clock.advance(30_000),
          );
          await wb.stop();
          expect(await pending()).toBe(0);
          oneRecordPerAttempt(crm, new Set(attempts.map((n) => `att-${n}`)));
          for (const n of attempts) expect(crm.callByAttempt(`att-${n}`)?.outcomeLabel).toBe(`wrap ${n}`);
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('rateLimitDelayMs', () => {
  it('recognizes CrmRateLimitError and SDK errors with a 429 status', () => {
    expect(rateLimitDelayMs(new CrmRateLimitError('slow down', 1234))).toBe(1234);
    expect(rateLimitDelayMs(Object.assign(new Error('x'), { code: 429 }), 900)).toBe(900);
    expect(rateLimitDelayMs(Object.assign(new Error('x'), { status: 429, retryAfterMs: 50 }))).toBe(50);
    expect(rateLimitDelayMs(new Error('boom'))).toBeUndefined();
    expect(rateLimitDelayMs(Object.assign(new Error('x'), { status: 500 }))).toBeUndefined();
  });
});

describe('startWriteback with a batching CRM', () => {
  it('writes finished attempts in requests of at most 100 and never one by one when the batch succeeds', async () => {
    const clock = virtualClock();
    const { log, pending } = eventStore(clock);
    const crm = crmWithContacts();
    const batches: number[] = [];
    let single = 0;
    const batching = Object.assign(Object.create(crm) as LocalSampleCrm, {
      recordCalls: async (records: Parameters<LocalSampleCrm['recordCall']>[0][]) => {
        batches.push(records.length);
        return Promise.all(records.map((r) => crm.recordCall(r)));
      },
      recordCall: async (record: Parameters<LocalSampleCrm['recordCall']>[0]) => {
        single += 1;
        return crm.recordCall(record);
      },
    });
    for (let n = 0; n < 250; n++) await log.append(PORTAL, finished(n));
    const wb = startWriteback({
      eventLog: log,
      portalId: PORTAL,
      crm: batching,
      consumer: 'w1',
      clock,
      logger,
      batchSize: 250,
      blockMs: 1,
    });
    await until(() => wb.stats.written === 250, '250 written');
    await wb.stop();
    expect(Math.max(...batches)).toBeLessThanOrEqual(100);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(250);
    expect(single).toBe(0);
    oneRecordPerAttempt(crm, new Set(Array.from({ length: 250 }, (_, n) => `att-${n}`)));
    expect(await pending()).toBe(0);
  });
});
