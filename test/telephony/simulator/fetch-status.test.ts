import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { CallEvent } from '../../../src/domain/call.js';
import type { Clock } from '../../../src/shared/clock.js';
import { SimulatedCarrier } from '../../../src/telephony/simulator/simulated-carrier.js';
import { TelephonyError } from '../../../src/telephony/telephony.js';
import type { CallEventSink, DialRequest, Telephony } from '../../../src/telephony/telephony.js';

const START = Date.UTC(2025, 0, 6, 15, 0, 0);

/** Time stands still and every wait ends at once: a call plays out in a few microtasks. */
const frozenClock = (at = START): Clock => ({ now: () => at, sleep: async () => {} });

function request(i: number, overrides: Partial<DialRequest> = {}): DialRequest {
  return {
    attemptId: `att-${i}`,
    portalId: '1',
    campaignId: 'camp',
    contactId: `c-${i}`,
    to: `+1555${String(1000000 + i).slice(-7)}`,
    from: '+15559990000',
    flow: { kind: 'connect', targets: ['+15551110000'] },
    amd: { detection: 'detect-message-end', onMachine: 'hangup' },
    ringTimeoutSec: 25,
    record: false,
    ...overrides,
  };
}

describe('SimulatedCarrier honours DialRequest.notAfter', () => {
  it('past the deadline: rejected as not dialed, nothing placed, and the attemptId stays usable', async () => {
    const events: CallEvent[] = [];
    const sim = new SimulatedCarrier({
      sink: { handleCallEvent: async (e) => void events.push(e) },
      clock: frozenClock(),
      seed: 1,
      mix: { human: 1, busy: 0, 'no-answer': 0, machine: 0, invalid: 0, failed: 0 },
    });
    const err = await sim.dial(request(1, { notAfter: START - 1 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TelephonyError);
    expect(err).toMatchObject({ notDialed: true, maybeSent: false, retryable: true });
    expect(sim.stats()).toMatchObject({ dials: 0, placed: 0 });
    expect(events).toEqual([]);

    await expect(sim.dial(request(1, { notAfter: START }))).resolves.toHaveProperty('providerCallId');
    await sim.whenIdle();
    expect(sim.stats().placed).toBe(1);
  });

  it('property: a dial is placed or refused by the carrier only when now <= notAfter', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: -5000, max: 5000 }), fc.nat(50), async (offset, i) => {
        const sim = new SimulatedCarrier({
          sink: { handleCallEvent: async () => {} },
          clock: frozenClock(),
          seed: 7,
        });
        const outcome = await sim.dial(request(i, { notAfter: START + offset })).then(
          () => 'placed' as const,
          (e: TelephonyError) => (e.notDialed ? ('not-dialed' as const) : ('refused' as const)),
        );
        await sim.whenIdle();
        expect(outcome === 'not-dialed').toBe(offset < 0);
        expect(sim.stats().dials).toBe(offset < 0 ? 0 : 1);
      }),
      { numRuns: 200 },
    );
  });
});

describe('SimulatedCarrier.fetchStatus', () => {
  it('an unknown call → null', async () => {
    const sim = new SimulatedCarrier({
      sink: { handleCallEvent: async () => {} },
      clock: frozenClock(),
      seed: 1,
    });
    const fetchStatus: Telephony['fetchStatus'] = sim.fetchStatus.bind(sim);
    await expect(fetchStatus(`CA${'f'.repeat(32)}`)).resolves.toBeNull();
  });

  it('is never behind the callbacks, and after the call reports exactly its final status, codes and AMD answer', async () => {
    const events: CallEvent[] = [];
    const mismatches: string[] = [];
    const box: { sim?: SimulatedCarrier } = {};
    const sink: CallEventSink = {
      handleCallEvent: async (event) => {
        events.push(event);
        // A callback describes what already happened: the carrier's own view must agree with it.
        const state = await box.sim!.fetchStatus(event.providerCallId);
        if (event.type === 'status' && state?.status !== event.status) {
          mismatches.push(`${event.providerCallId}: callback ${event.status}, fetch ${state?.status}`);
        }
      },
    };
    const sim = new SimulatedCarrier({ sink, clock: frozenClock(), seed: 99 });
    box.sim = sim;
    const placed = new Map<string, string>();
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        sim.dial(request(i)).then(
          ({ providerCallId }) => void placed.set(`att-${i}`, providerCallId),
          () => {},
        ),
      ),
    );
    await sim.whenIdle();
    expect(mismatches).toEqual([]);
    expect(placed.size).toBeGreaterThan(100);

    for (const [attemptId, providerCallId] of placed) {
      const own = events.filter((e) => e.attemptId === attemptId);
      const final = own.filter((e) => e.type === 'status').at(-1);
      const amd = own.find((e) => e.type === 'amd');
      if (final?.type !== 'status') throw new Error(`no final status for ${attemptId}`);
      expect(await sim.fetchStatus(providerCallId)).toEqual({
        status: final.status,
        durationSec: final.durationSec,
        ...(final.errorCode !== undefined ? { errorCode: final.errorCode } : {}),
        ...(final.sipResponseCode !== undefined ? { sipResponseCode: final.sipResponseCode } : {}),
        ...(amd?.type === 'amd' ? { answeredBy: amd.answeredBy } : {}),
      });
    }
  });

  it('a call placed but not yet started reads as queued', async () => {
    const sim = new SimulatedCarrier({
      sink: { handleCallEvent: async () => {} },
      // The first step (setup) waits forever: the call never leaves queued during the test.
      clock: {
        now: () => START,
        sleep: (_ms, signal) => new Promise((r) => signal?.addEventListener('abort', () => r())),
      },
      seed: 1,
      mix: { human: 1, busy: 0, 'no-answer': 0, machine: 0, invalid: 0, failed: 0 },
    });
    const { providerCallId } = await sim.dial(request(1));
    await expect(sim.fetchStatus(providerCallId)).resolves.toEqual({ status: 'queued' });
    await sim.hangup(providerCallId);
    await sim.whenIdle();
    await expect(sim.fetchStatus(providerCallId)).resolves.toMatchObject({ status: 'canceled' });
  });
});
