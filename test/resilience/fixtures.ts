/**
 * Shared wiring of the resilience suites: a carrier wrapper that records every dial and when each call ended at
 * the carrier, a sink that redelivers a callback the engine could not record (as Twilio does on a 5xx), the
 * campaign used by the long runs, and a bounded wait.
 */
import { isFinalStatus } from '../../src/domain/call.js';
import type { CallEvent } from '../../src/domain/call.js';
import type { Clock } from '../../src/shared/clock.js';
import type { StoredEvent } from '../../src/engine/events.js';
import type { CallEventSink, DialRequest, Telephony } from '../../src/telephony/telephony.js';

export interface DialRecord {
  attemptId: string;
  contactId: string;
  to: string;
  /** Clock time the engine asked the carrier. */
  at: number;
  /** Clock time the carrier produced the final status (or refused the dial); undefined while the call is live. */
  endedAt?: number;
}

/**
 * Telephony in front of the real carrier: records every dial request (before the carrier dedupes it) and the
 * carrier-side end of each call, so the test can check "never two live calls to one contact" on its own.
 */
export class RecordingCarrier implements Telephony {
  readonly dials: DialRecord[] = [];
  private readonly byAttempt = new Map<string, DialRecord>();
  inner: Telephony | null = null;

  constructor(private readonly clock: Clock) {}

  async dial(request: DialRequest) {
    const record: DialRecord = {
      attemptId: request.attemptId,
      contactId: request.contactId,
      to: request.to,
      at: this.clock.now(),
    };
    this.dials.push(record);
    this.byAttempt.set(request.attemptId, record);
    try {
      return await this.inner!.dial(request);
    } catch (error) {
      record.endedAt = this.clock.now(); // refused at dial time: never live
      throw error;
    }
  }

  hangup(providerCallId: string) {
    return this.inner!.hangup(providerCallId);
  }

  /** Called by the sink wrapper when the carrier emits a final status (whether or not it got recorded). */
  callEnded(attemptId: string, at: number) {
    const record = this.byAttempt.get(attemptId);
    if (record && record.endedAt === undefined) record.endedAt = at;
  }
}

/**
 * A sink that retries a callback the engine failed to record (Redis down), like Twilio retrying a webhook that
 * answered 5xx, up to `maxTries` times `retryMs` (clock time) apart. Counts failed deliveries.
 */
export function redeliveringSink(
  target: () => CallEventSink,
  clock: Clock,
  carrier: RecordingCarrier,
  options: { retryMs: number; maxTries: number },
): CallEventSink & { failedDeliveries: number; droppedEvents: CallEvent[] } {
  const sink = {
    failedDeliveries: 0,
    droppedEvents: [] as CallEvent[],
    async handleCallEvent(event: CallEvent) {
      if (event.type === 'status' && isFinalStatus(event.status))
        carrier.callEnded(event.attemptId, event.at);
      for (let tries = 1; ; tries++) {
        try {
          await target().handleCallEvent(event);
          return;
        } catch (error) {
          sink.failedDeliveries++;
          if (tries >= options.maxTries) {
            sink.droppedEvents.push(event);
            throw error;
          }
          await clock.sleep(options.retryMs);
        }
      }
    },
  };
  return sink;
}

/** Largest number of intervals [start, end) live at once (an end at t frees before a start at t). */
export function maxOverlap(intervals: readonly [number, number][]): number {
  const points = intervals.flatMap(([s, e]): [number, number][] => [
    [s, 1],
    [e, -1],
  ]);
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let live = 0;
  let best = 0;
  for (const [, d] of points) best = Math.max(best, (live += d));
  return best;
}

/** Contacts that had two calls live at the carrier at the same time. */
export function contactsWithOverlappingCalls(dials: readonly DialRecord[]): string[] {
  const byContact = new Map<string, [number, number][]>();
  for (const d of dials) {
    const list = byContact.get(d.contactId) ?? [];
    list.push([d.at, d.endedAt ?? Number.POSITIVE_INFINITY]);
    byContact.set(d.contactId, list);
  }
  return [...byContact].filter(([, list]) => maxOverlap(list) > 1).map(([id]) => id);
}

/** Values that occur more than once. */
export function duplicates<T>(values: readonly T[]): T[] {
  const seen = new Set<T>();
  const twice = new Set<T>();
  for (const v of values) (seen.has(v) ? twice : seen).add(v);
  return [...twice];
}

export type FinishedEvent = Extract<StoredEvent, { type: 'attempt.finished' }>;

export const isFinished = (e: StoredEvent): e is FinishedEvent => e.type === 'attempt.finished';
/** A finished attempt that was a call (the carrier placed it): the ones the CRM gets a record of. */
export const isPlacedCall = (e: StoredEvent): e is FinishedEvent => isFinished(e) && e.placed !== false;

/**
 * Polls `condition` every `everyMs` (real time) until it holds; throws with `what` and the last `describe()`
 * after `maxPolls` polls. A liveness bound so the test always ends, not a performance assertion.
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string,
  options: { everyMs?: number; maxPolls?: number; describe?: () => unknown } = {},
): Promise<void> {
  const everyMs = options.everyMs ?? 50;
  const maxPolls = options.maxPolls ?? 2000;
  for (let i = 0; i < maxPolls; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  const state = options.describe ? ` (last state: ${JSON.stringify(await options.describe())})` : '';
  throw new Error(`gave up waiting: ${what}${state}`);
}

/** 2030-01-07 is a Monday; 19:00 UTC is 14:00 in New York: four hours of the default 09:00-18:00 window left. */
export const MONDAY_2PM_NY = Date.UTC(2030, 0, 7, 19, 0, 0);

export const nyZones = { candidateZones: async () => ['America/New_York'] };

/**
 * A reminder campaign that retries quickly (1 minute apart, at most 3 attempts), so a few minutes of clock time
 * bring every contact to a final state.
 */
export function quickRetryCampaign(name: string, pace = { callsPerSecond: 20, maxConcurrentCalls: 25 }) {
  return {
    name,
    callerIds: ['+12125550000'],
    dialMode: { mode: 'message' },
    message: { say: 'Your appointment is tomorrow' },
    amd: { detection: 'off', onMachine: 'hangup' },
    pace,
    ringTimeoutSec: 15,
    retry: { strategy: 'intervals', delaysMinutes: [1], maxAttempts: 3, maxRetryDays: 7, minGapMinutes: 1 },
  };
}

export function contactRows(count: number, idPrefix: string, firstNumber = 1000) {
  return Array.from({ length: count }, (_, i) => ({
    contactId: `${idPrefix}${i}`,
    phone: `+1212555${String(firstNumber + i).padStart(4, '0')}`,
    timeZone: 'America/New_York',
  }));
}

/** Simulated-carrier timings short enough that a call lasts seconds of clock time, not minutes. */
export const SHORT_CALLS = {
  ringTimeSec: { minSec: 1, maxSec: 8 },
  talkTimeSec: { minSec: 4, maxSec: 30, shape: 'short-skewed' as const },
  greetingSec: { minSec: 2, maxSec: 5 },
  messageSec: { minSec: 3, maxSec: 8 },
  setupMs: 200,
};
