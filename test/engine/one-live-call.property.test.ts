/**
 * Property (issue 9): never two live calls to one number, across campaigns sharing numbers, whatever the
 * callbacks do (delayed, dropped, duplicated) and however the leases run out before the calls end. The carrier
 * below knows each call's true life (from its dial to its end) and checks at every dial that no other call to
 * the same number is still up; its fetchStatus tells the truth (or fails now and then), as Twilio's would.
 */
import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { CampaignService } from '../../src/engine/campaigns.js';
import { Engine } from '../../src/engine/dialer.js';
import { MemoryStore } from '../../src/engine/store/memory-store.js';
import type { CallEvent, CallStatusSnapshot, DialRequest } from '../../src/telephony/telephony.js';
import {
  MONDAY_2PM_NY,
  ManualClock,
  RecordingTelephony,
  messageCampaign,
  nyZones,
  generousLimits,
} from './fixtures/harness.js';

const P = '41';

/** How the carrier treats one call (drawn per dial, in dial order). */
interface CallScript {
  answered: boolean;
  /** Ring time, then talk time (answered) or the whole ring (not answered). */
  ringMs: number;
  talkMs: number;
  /** Per callback (ringing, in-progress, final): dropped, or delivered this late (and maybe twice). */
  callbacks: { drop: boolean; delayMs: number; duplicate: boolean }[];
  /** The carrier's status API fails on this look. */
  statusFails: boolean;
}

const callbackArb = fc.record({
  drop: fc.boolean(),
  delayMs: fc.integer({ min: 0, max: 240_000 }),
  duplicate: fc.boolean(),
});

const scriptArb: fc.Arbitrary<CallScript> = fc.record({
  answered: fc.boolean(),
  ringMs: fc.integer({ min: 1_000, max: 30_000 }),
  talkMs: fc.integer({ min: 1_000, max: 15 * 60_000 }),
  callbacks: fc.array(callbackArb, { minLength: 3, maxLength: 3 }),
  statusFails: fc.boolean(),
});

interface TrueCall {
  number: string;
  attemptId: string;
  callId: string;
  dialAt: number;
  answerAt: number | null;
  endAt: number;
}

class TruthfulCarrier extends RecordingTelephony {
  readonly calls: TrueCall[] = [];
  readonly violations: string[] = [];
  readonly pending: { at: number; event: CallEvent }[] = [];
  private looks = 0;
  constructor(
    private readonly clk: ManualClock,
    private readonly scripts: CallScript[],
  ) {
    super(clk);
  }

  override async dial(request: DialRequest) {
    const now = this.clk.now();
    for (const c of this.calls) {
      if (c.number === request.to && c.endAt > now)
        this.violations.push(
          `${request.to}: ${request.attemptId} dialed at ${now} while ${c.attemptId} is up`,
        );
    }
    const { providerCallId } = await super.dial(request);
    const s = this.scripts[this.calls.length % this.scripts.length]!;
    const answerAt = s.answered ? now + s.ringMs : null;
    const endAt = s.answered ? answerAt! + s.talkMs : now + s.ringMs;
    this.calls.push({
      number: request.to,
      attemptId: request.attemptId,
      callId: providerCallId,
      dialAt: now,
      answerAt,
      endAt,
    });
    const base = { type: 'status' as const, attemptId: request.attemptId, providerCallId };
    const events: { at: number; event: CallEvent }[] = [
      { at: now + 500, event: { ...base, status: 'ringing', sequence: 1, at: now + 500 } },
    ];
    if (answerAt !== null)
      events.push({ at: answerAt, event: { ...base, status: 'in-progress', sequence: 2, at: answerAt } });
    events.push({
      at: endAt,
      event: {
        ...base,
        status: s.answered ? 'completed' : 'no-answer',
        ...(s.answered ? { durationSec: Math.round(s.talkMs / 1000) } : {}),
        sequence: 3,
        at: endAt,
      },
    });
    events.forEach((e, i) => {
      const cb = s.callbacks[i]!;
      if (cb.drop) return;
      this.pending.push({ at: e.at + cb.delayMs, event: e.event });
      if (cb.duplicate) this.pending.push({ at: e.at + cb.delayMs + 1_000, event: e.event });
    });
    return { providerCallId };
  }

  async fetchStatus(callId: string): Promise<CallStatusSnapshot | null> {
    const call = this.calls.find((c) => c.callId === callId);
    if (!call) return null;
    const s = this.scripts[this.calls.indexOf(call) % this.scripts.length]!;
    // a network round trip: other work (another worker's claim) runs meanwhile
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    if (s.statusFails && this.looks++ % 2 === 0) throw new Error('carrier status API unavailable');
    const now = this.clk.now();
    if (now < call.endAt)
      return { status: call.answerAt !== null && now >= call.answerAt ? 'in-progress' : 'ringing' };
    return call.answerAt !== null
      ? { status: 'completed', durationSec: Math.round((call.endAt - call.answerAt) / 1000) }
      : { status: 'no-answer' };
  }

  /** The callbacks due by now, in time order (taken out of the queue). */
  due(now: number): CallEvent[] {
    this.pending.sort((a, b) => a.at - b.at);
    const out: CallEvent[] = [];
    while (this.pending.length && this.pending[0]!.at <= now) out.push(this.pending.shift()!.event);
    return out;
  }
}

describe('property: one live call per number across campaigns', () => {
  it('never dials a number while another call to it is up at the carrier', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 3 }), // campaigns
        fc.integer({ min: 1, max: 3 }), // shared numbers
        fc.array(scriptArb, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 3_000, max: 90_000 }), // callback silence: leases end at random points of a call
        fc.array(
          fc.record({ stepMs: fc.integer({ min: 100, max: 60_000 }), who: fc.constantFrom(0, 1, 2) }),
          {
            minLength: 20,
            maxLength: 80,
          },
        ),
        async (nCampaigns, nNumbers, scripts, callbackSilenceMs, steps) => {
          const clock = new ManualClock(MONDAY_2PM_NY);
          const store = new MemoryStore(clock);
          const carrier = new TruthfulCarrier(clock, scripts);
          const campaigns = new CampaignService({ store, clock, zones: nyZones, random: () => 0 });
          // two worker processes on one store: each pass reaps (at most once a second) and then dispatches
          const workers = [0, 1].map(
            () =>
              new Engine({
                limits: generousLimits,
                store,
                telephony: carrier,
                clock,
                campaigns,
                zones: nyZones,
                random: () => 0,
                timings: { callbackSilenceMs, busyRetryMs: 5_000 },
                onError: () => {},
              }),
          );
          try {
            // the shortest gap the settings allow between two dials to one number: calls outlast it
            const base = messageCampaign();
            const settings = { ...base, retry: { ...base.retry, delaysMinutes: [1], minGapMinutes: 1 } };
            for (let c = 0; c < nCampaigns; c++) {
              const camp = await campaigns.create(P, settings, `camp-${c}`);
              const rows = Array.from({ length: nNumbers }, (_, i) => ({
                contactId: `c${c}-${i}`, // a different contact in each campaign, holding the same number
                phone: `(212) 555-${String(1000 + i)}`,
                timeZone: 'America/New_York',
              }));
              await campaigns.enroll(P, camp.campaignId, rows);
              await campaigns.act(P, camp.campaignId, 'start');
            }
            const settle = async () => {
              for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
            };
            for (const step of steps) {
              clock.advance(step.stepMs);
              for (const event of carrier.due(clock.now())) await workers[0]!.handleCallEvent(event);
              // one worker's pass, or both at once (one may claim while the other waits on the carrier)
              const passing = step.who === 2 ? workers : [workers[step.who]!];
              await Promise.all(passing.map((w) => w.pass(P)));
              await settle();
            }
          } finally {
            await store.close();
          }
          expect(carrier.violations).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });
});
