/** The simulated carrier models agents' calls: an answered call waits for the engine's route, then talks or hears safe-harbor. */
import { describe, expect, it } from '@jest/globals';
import type { CallEvent } from '../../../src/domain/call.js';
import { simulationClock } from '../../../src/shared/clock.js';
import { SimulatedCarrier } from '../../../src/telephony/simulator/simulated-carrier.js';
import type { DialRequest } from '../../../src/telephony/telephony.js';

const START = Date.UTC(2030, 0, 7, 15, 0, 0);

const request = (i: number): DialRequest => ({
  attemptId: `att-${i}`,
  portalId: '1',
  campaignId: 'camp',
  contactId: `c-${i}`,
  to: `+1212555${1000 + i}`,
  from: '+12125550000',
  flow: { kind: 'agent-conference' },
  amd: { detection: 'off', onMachine: 'hangup' },
  ringTimeoutSec: 25,
  record: false,
});

describe('SimulatedCarrier: agents calls', () => {
  it('routed to an agent the call talks; to safe-harbor it ends after the message; unrouted it hangs up', async () => {
    const clock = simulationClock(START, 1_000_000);
    const events: CallEvent[] = [];
    const answeredAt = new Map<string, number>();
    let sim: SimulatedCarrier | null = null;
    sim = new SimulatedCarrier({
      clock,
      seed: 5,
      mix: { human: 1, busy: 0, 'no-answer': 0, machine: 0, invalid: 0, failed: 0 },
      talkTimeSec: { minSec: 100, maxSec: 100 },
      safeHarborSec: { minSec: 8, maxSec: 8 },
      routeWaitMs: 10_000,
      sink: {
        handleCallEvent: async (e) => {
          events.push(e);
          if (e.type !== 'status' || e.status !== 'in-progress') return;
          answeredAt.set(e.attemptId, clock.now());
          if (e.attemptId === 'att-1')
            await sim!.routeAnswered(e.providerCallId!, {
              kind: 'agent',
              agentId: 'ann',
              conference: 'autodial-1-ann',
            });
          if (e.attemptId === 'att-2')
            await sim!.routeAnswered(e.providerCallId!, { kind: 'safe-harbor', message: { say: 'x' } });
        },
      },
    });
    await Promise.all([1, 2, 3].map((i) => sim!.dial(request(i))));
    await sim.whenIdle();
    clock.stop();
    const final = (id: string) =>
      events.find((e) => e.attemptId === id && e.type === 'status' && e.status === 'completed') as
        (CallEvent & { durationSec?: number }) | undefined;
    expect(final('att-1')?.durationSec).toBe(100); // 0.4 s joining the conference rounds away
    expect(final('att-2')?.durationSec).toBe(8);
    expect(final('att-3')?.durationSec).toBe(10);
    expect(sim.stats()).toMatchObject({ routedToAgent: 1, routedToSafeHarbor: 1 });
  });
});
