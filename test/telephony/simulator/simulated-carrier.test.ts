import { describe, expect, it } from '@jest/globals';
import { foldCallEvents, isFinal } from '../../../src/domain/call-progress.js';
import { isFinalStatus } from '../../../src/domain/call.js';
import type { CallEvent, CallStatus } from '../../../src/domain/call.js';
import { acceleratedClock } from '../../../src/shared/clock.js';
import { SimulatedCarrier } from '../../../src/telephony/simulator/simulated-carrier.js';
import type {
  OutcomeMix,
  SimulatedCarrierOptions,
} from '../../../src/telephony/simulator/simulated-carrier.js';
import { TelephonyError } from '../../../src/telephony/telephony.js';
import type { CallEventSink, DialRequest } from '../../../src/telephony/telephony.js';

const START = Date.UTC(2025, 0, 6, 15, 0, 0);
/** Calls last minutes; at this speed a whole run takes milliseconds of real time. */
const fastClock = () => acceleratedClock(START, 200_000);

function recordingSink() {
  const events: CallEvent[] = [];
  const sink: CallEventSink = { handleCallEvent: async (e) => void events.push(e) };
  return { sink, events };
}

function request(i: number, overrides: Partial<DialRequest> = {}): DialRequest {
  return {
    attemptId: `att-${i}`,
    portalId: '1',
    campaignId: 'camp',
    contactId: `c-${i}`,
    to: `+1555${String(1000000 + i).slice(-7)}`,
    from: '+15559990000',
    flow: { kind: 'connect', targets: ['+15551110000'] },
    amd: { detection: 'detect', onMachine: 'connect' },
    ringTimeoutSec: 25,
    record: false,
    ...overrides,
  };
}

function carrier(sink: CallEventSink, options: Partial<SimulatedCarrierOptions> = {}) {
  return new SimulatedCarrier({ sink, clock: fastClock(), seed: 42, ...options });
}

/** Dials every request, collecting rejections instead of throwing. */
async function dialAll(c: SimulatedCarrier, requests: DialRequest[]) {
  const rejected: TelephonyError[] = [];
  const placed = new Map<string, string>();
  await Promise.all(
    requests.map((r) =>
      c.dial(r).then(
        ({ providerCallId }) => void placed.set(r.attemptId, providerCallId),
        (e: unknown) => {
          expect(e).toBeInstanceOf(TelephonyError);
          rejected.push(e as TelephonyError);
        },
      ),
    ),
  );
  await c.whenIdle();
  return { rejected, placed };
}

const byCall = (events: CallEvent[]) => {
  const calls = new Map<string, CallEvent[]>();
  for (const e of events) calls.set(e.attemptId, [...(calls.get(e.attemptId) ?? []), e]);
  return calls;
};

const RANK: Record<CallStatus, number> = {
  queued: 0,
  initiated: 1,
  ringing: 2,
  'in-progress': 3,
  completed: 4,
  busy: 4,
  'no-answer': 4,
  failed: 4,
  canceled: 4,
};

describe('SimulatedCarrier', () => {
  const N = 3000;
  const mix: OutcomeMix = {
    human: 0.4,
    busy: 0.1,
    'no-answer': 0.25,
    machine: 0.15,
    invalid: 0.05,
    failed: 0.05,
  };

  it('follows the configured mix, gives every placed call exactly one final status, in a valid order', async () => {
    const { sink, events } = recordingSink();
    const c = carrier(sink, { mix });
    const requests = Array.from({ length: N }, (_, i) => request(i));
    const { rejected, placed } = await dialAll(c, requests);
    const stats = c.stats();

    // Frequencies within 5 standard deviations (+1 point): far wider than the noise, deterministic with the seed.
    for (const [outcome, weight] of Object.entries(mix) as [keyof OutcomeMix, number][]) {
      const bound = 5 * Math.sqrt((weight * (1 - weight)) / N) + 0.01;
      expect(Math.abs(stats.byOutcome[outcome] / N - weight)).toBeLessThan(bound);
    }
    expect(stats.dials).toBe(N);
    expect(stats.placed + stats.rejectedAtDial).toBe(N);
    expect(rejected).toHaveLength(stats.rejectedAtDial);
    for (const e of rejected) expect([21211, 21217]).toContain(e.code);
    expect(stats.active).toBe(0);

    const calls = byCall(events);
    expect(calls.size).toBe(placed.size);
    const finals: Record<string, number> = {};
    for (const [attemptId, callEvents] of calls) {
      const statuses = callEvents.filter((e) => e.type === 'status');
      // Exactly one final, and it is the last event.
      expect(statuses.filter((e) => isFinalStatus(e.status))).toHaveLength(1);
      const last = callEvents[callEvents.length - 1]!;
      expect(last.type === 'status' && isFinalStatus(last.status)).toBe(true);
      // Sequence numbers count up from 0, statuses never go back, time never goes back.
      expect(statuses.map((e) => e.sequence)).toEqual(statuses.map((_, i) => i));
      for (let i = 1; i < statuses.length; i++) {
        expect(RANK[statuses[i]!.status]).toBeGreaterThan(RANK[statuses[i - 1]!.status]);
      }
      for (let i = 1; i < callEvents.length; i++)
        expect(callEvents[i]!.at).toBeGreaterThanOrEqual(callEvents[i - 1]!.at);
      // AMD only on an answered call, before it ends.
      const amdIndex = callEvents.findIndex((e) => e.type === 'amd');
      if (amdIndex >= 0) {
        const answeredIndex = callEvents.findIndex((e) => e.type === 'status' && e.status === 'in-progress');
        expect(answeredIndex).toBeGreaterThanOrEqual(0);
        expect(amdIndex).toBeGreaterThan(answeredIndex);
      }
      expect(callEvents.every((e) => e.providerCallId === placed.get(attemptId))).toBe(true);
      const progress = foldCallEvents(callEvents);
      expect(isFinal(progress)).toBe(true);
      finals[progress.status] = (finals[progress.status] ?? 0) + 1;
      if (progress.status === 'completed') expect(progress.answered).toBe(true);
    }
    expect(finals).toEqual(Object.fromEntries(Object.entries(stats.byFinalStatus).filter(([, n]) => n > 0)));
    expect(stats.byFinalStatus.busy).toBe(stats.byOutcome.busy);
    expect(stats.byFinalStatus['no-answer']).toBe(stats.byOutcome['no-answer']);
    expect(stats.byFinalStatus.completed).toBe(stats.byOutcome.human + stats.byOutcome.machine);
    expect(stats.byFinalStatus.failed).toBe(
      stats.byOutcome.failed + stats.byOutcome.invalid - stats.rejectedAtDial,
    );
    // Invalid numbers that got through fail like Twilio's 13224.
    const invalidFailures = events.filter((e) => e.type === 'status' && e.errorCode === 13224);
    expect(invalidFailures).toHaveLength(stats.byOutcome.invalid - stats.rejectedAtDial);
  });

  it('is deterministic per seed whatever the dial order', async () => {
    const summarize = (events: CallEvent[]) =>
      [...byCall(events)]
        .map(([id, es]) => {
          const p = foldCallEvents(es);
          return `${id}:${p.status}:${p.answeredBy ?? '-'}:${p.durationSec}`;
        })
        .sort();
    const requests = Array.from({ length: 300 }, (_, i) => request(i));
    const a = recordingSink();
    await dialAll(carrier(a.sink, { mix }), requests);
    const b = recordingSink();
    await dialAll(carrier(b.sink, { mix }), [...requests].reverse());
    expect(summarize(b.events)).toEqual(summarize(a.events));
    const other = recordingSink();
    await dialAll(carrier(other.sink, { mix, seed: 7 }), requests);
    expect(summarize(other.events)).not.toEqual(summarize(a.events));
  });

  it('AMD reports the truth at error rate 0, and errs at about the configured rate', async () => {
    const amdOf = async (
      truth: 'human' | 'machine',
      amdErrorRate: number,
      detection: 'detect' | 'detect-message-end',
    ) => {
      const { sink, events } = recordingSink();
      const only: OutcomeMix = {
        human: 0,
        busy: 0,
        'no-answer': 0,
        machine: 0,
        invalid: 0,
        failed: 0,
        [truth]: 1,
      };
      const reqs = Array.from({ length: 1000 }, (_, i) =>
        request(i, { amd: { detection, onMachine: 'connect' } }),
      );
      await dialAll(carrier(sink, { mix: only, amdErrorRate }), reqs);
      const counts: Record<string, number> = {};
      for (const e of events) if (e.type === 'amd') counts[e.answeredBy] = (counts[e.answeredBy] ?? 0) + 1;
      return counts;
    };
    expect(await amdOf('human', 0, 'detect')).toEqual({ human: 1000 });
    expect(await amdOf('machine', 0, 'detect')).toEqual({ machine_start: 1000 });
    const beep = await amdOf('machine', 0, 'detect-message-end');
    expect((beep.machine_end_beep ?? 0) + (beep.machine_end_silence ?? 0)).toBe(1000);
    const noisy = await amdOf('human', 0.2, 'detect');
    expect(Math.abs((noisy.machine_start ?? 0) / 1000 - 0.2)).toBeLessThan(0.07);
  });

  it('sends no AMD event when detection is off', async () => {
    const { sink, events } = recordingSink();
    const only: OutcomeMix = { human: 1, busy: 0, 'no-answer': 0, machine: 1, invalid: 0, failed: 0 };
    await dialAll(
      carrier(sink, { mix: only }),
      Array.from({ length: 50 }, (_, i) => request(i, { amd: { detection: 'off', onMachine: 'hangup' } })),
    );
    expect(events.some((e) => e.type === 'amd')).toBe(false);
    expect(events.filter((e) => e.type === 'status' && e.status === 'completed')).toHaveLength(50);
  });

  it('dial is idempotent by attemptId', async () => {
    const { sink, events } = recordingSink();
    const c = carrier(sink, {
      mix: { human: 1, busy: 0, 'no-answer': 0, machine: 0, invalid: 0, failed: 0 },
    });
    const [a, b] = await Promise.all([c.dial(request(1)), c.dial(request(1))]);
    expect(a).toEqual(b);
    await c.whenIdle();
    expect(c.stats().placed).toBe(1);
    expect(events.filter((e) => e.type === 'status' && isFinalStatus(e.status))).toHaveLength(1);
  });

  it('rejects a malformed number with 21211 like Twilio', async () => {
    const c = carrier(recordingSink().sink);
    await expect(c.dial(request(1, { to: '555-0100' }))).rejects.toMatchObject({
      code: 21211,
      httpStatus: 400,
      retryable: false,
    });
  });

  it('hangup ends an answered call as completed and a ringing call as canceled, once', async () => {
    const events: CallEvent[] = [];
    const only: OutcomeMix = { human: 1, busy: 0, 'no-answer': 0, machine: 0, invalid: 0, failed: 0 };
    const holder: { carrier?: SimulatedCarrier } = {};
    const sink: CallEventSink = {
      handleCallEvent: async (e) => {
        events.push(e);
        const trigger = e.attemptId === 'att-1' ? 'in-progress' : 'ringing';
        // Awaited inside the sink, as an engine would: must not deadlock.
        if (e.type === 'status' && e.status === trigger) await holder.carrier!.hangup(e.providerCallId);
      },
    };
    const c = carrier(sink, { mix: only, talkTimeSec: { minSec: 3000, maxSec: 3000 } });
    holder.carrier = c;
    const one = await c.dial(request(1));
    await c.dial(request(2));
    await c.whenIdle();
    const finalOf = (id: string) =>
      events.filter((e) => e.attemptId === id && e.type === 'status' && isFinalStatus(e.status));
    expect(finalOf('att-1')).toEqual([
      expect.objectContaining({ status: 'completed', providerCallId: one.providerCallId }),
    ]);
    expect(finalOf('att-2')).toEqual([expect.objectContaining({ status: 'canceled', durationSec: 0 })]);
    expect(c.stats().hungUp).toBe(2);
    await c.hangup(one.providerCallId); // after the end: a no-op
    expect(finalOf('att-1')).toHaveLength(1);
  });

  it('a failing sink does not stop the simulation', async () => {
    const errors: unknown[] = [];
    const only: OutcomeMix = { human: 1, busy: 0, 'no-answer': 0, machine: 0, invalid: 0, failed: 0 };
    const sink: CallEventSink = {
      handleCallEvent: async () => {
        throw new Error('down');
      },
    };
    const c = carrier(sink, { mix: only, onSinkError: (e) => errors.push(e) });
    await c.dial(request(3));
    await c.whenIdle();
    // initiated, ringing, in-progress, amd, completed: each reported, each failure surfaced.
    expect(errors).toHaveLength(5);
    expect(c.stats().byFinalStatus.completed).toBe(1);
    expect(c.stats().active).toBe(0);
  });
});
