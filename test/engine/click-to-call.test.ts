import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import fc from 'fast-check';
import type { CallEvent } from '../../src/domain/call.js';
import { CampaignService, EngineInputError } from '../../src/engine/campaigns.js';
import { ClickToCallRefusedError } from '../../src/engine/click-to-call.js';
import { Engine, MANUAL_CAMPAIGN_ID, callFlowFor } from '../../src/engine/dialer.js';
import { MemoryStore } from '../../src/engine/store/memory-store.js';
import { CampaignSettingsSchema } from '../../src/domain/settings.js';
import {
  MONDAY_2PM_NY,
  ManualClock,
  RecordingTelephony,
  messageCampaign,
  nyZones,
  generousLimits,
} from './fixtures/harness.js';

const P = '41';
const REP = '+12125557777';
const CALLER_ID = '+12125550000';
const HOUR = 3_600_000;

describe('Engine.clickToCall (memory store, manual clock)', () => {
  let clock: ManualClock;
  let store: MemoryStore;
  let telephony: RecordingTelephony;
  let campaigns: CampaignService;
  let engine: Engine;

  beforeEach(() => {
    clock = new ManualClock(MONDAY_2PM_NY);
    store = new MemoryStore(clock);
    telephony = new RecordingTelephony(clock);
    campaigns = new CampaignService({ store, clock, zones: nyZones, random: () => 0 });
    engine = new Engine({
      limits: generousLimits,
      store,
      telephony,
      clock,
      campaigns,
      zones: nyZones,
      random: () => 0,
    });
  });
  afterEach(() => store.close());

  const settle = () => new Promise((r) => setImmediate(r));
  const status = (attemptId: string, s: string, sequence: number, extra: Partial<CallEvent> = {}) =>
    ({
      type: 'status',
      attemptId,
      providerCallId: telephony.callIdOf(attemptId),
      status: s,
      sequence,
      at: clock.now(),
      ...extra,
    }) as CallEvent;
  const call = (contactId: string, phone: string, extra: object = {}) =>
    engine.clickToCall(P, { contactId, phone, repPhone: REP, callerId: CALLER_ID, ...extra });
  const finishedEvents = async () =>
    (await store.tail(P, '0', { count: 1000, blockMs: 0 })).filter((e) => e.type === 'attempt.finished');

  it('rings the rep first, then the contact, and records the outcome once (duplicates ignored)', async () => {
    const { attemptId, to } = await call('k1', '(212) 555-0142');
    expect(to).toBe('+12125550142');
    expect(telephony.dials).toHaveLength(1);
    expect(telephony.dials[0]).toMatchObject({
      attemptId,
      to: REP,
      from: CALLER_ID,
      flow: { kind: 'click-to-call', contactNumber: '+12125550142' },
    });
    // the contact leg's events, one of them twice
    await engine.handleCallEvent(status(attemptId, 'ringing', 1));
    await engine.handleCallEvent(status(attemptId, 'in-progress', 2, { answeredBy: 'human' }));
    clock.advance(60_000);
    await engine.handleCallEvent(status(attemptId, 'completed', 3, { durationSec: 60 }));
    await engine.handleCallEvent(status(attemptId, 'completed', 3, { durationSec: 60 }));
    await settle();
    const finished = await finishedEvents();
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({
      attemptId,
      contactId: 'k1',
      to: '+12125550142',
      campaignId: MANUAL_CAMPAIGN_ID,
      durationSec: 60,
    });
    // a finished manual call is never dialed again by the worker, and the rep may call again later
    await engine.pass(P);
    expect(telephony.dials).toHaveLength(1);
    clock.advance(HOUR);
    await call('k1', '212-555-0142');
    expect(telephony.dials).toHaveLength(2);
  });

  it('refuses a DNC number and changes nothing', async () => {
    await store.addDoNotCall(P, ['+12125550143']);
    const refused = call('k2', '212-555-0143');
    await expect(refused).rejects.toBeInstanceOf(ClickToCallRefusedError);
    await expect(call('k2', '212-555-0143')).rejects.toMatchObject({ reason: 'DNC' });
    expect(telephony.dials).toHaveLength(0);
  });

  it('refuses outside the legal hours in the callee zone, but not outside a campaign window', async () => {
    // 22:00 in New York: past the legal 21:00
    clock.t = MONDAY_2PM_NY + 8 * HOUR;
    await expect(call('k3', '212-555-0144')).rejects.toMatchObject({ reason: 'LEGAL_HOURS' });
    // 07:30 next morning: before 08:00
    clock.t = MONDAY_2PM_NY + 17.5 * HOUR;
    await expect(call('k3', '212-555-0144')).rejects.toMatchObject({ reason: 'LEGAL_HOURS' });
    expect(telephony.dials).toHaveLength(0);
    // 19:00 (after the default 18:00 window, inside the legal hours): a manual call may go
    clock.t = MONDAY_2PM_NY + 5 * HOUR;
    await call('k3', '212-555-0144');
    expect(telephony.dials).toHaveLength(1);
  });

  it('the legal hours hold in every zone the callee may be in (CRM zone and number zone)', async () => {
    // 20:30 in New York (legal there) is 21:30 in... nothing later in US; use a west-coast CRM zone at 07:30 LA
    clock.t = Date.UTC(2030, 0, 7, 15, 30); // 10:30 NY, 07:30 Los Angeles
    await expect(call('k4', '212-555-0145', { timeZone: 'America/Los_Angeles' })).rejects.toMatchObject({
      reason: 'LEGAL_HOURS',
    });
    expect(telephony.dials).toHaveLength(0);
  });

  it('refuses while a call to the contact or its number is live in any campaign', async () => {
    const c = await campaigns.create(P, messageCampaign(), 'auto');
    await campaigns.enroll(P, c.campaignId, [
      { contactId: 'k5', phone: '212-555-0146', timeZone: 'America/New_York' },
    ]);
    await campaigns.act(P, c.campaignId, 'start');
    await engine.pass(P);
    await settle();
    expect(telephony.dials).toHaveLength(1);
    // same contact, and another contact record with the same number
    await expect(call('k5', '212-555-0146')).rejects.toMatchObject({ reason: 'LIVE_ATTEMPT' });
    await expect(call('k5-dup', '212-555-0146')).rejects.toBeInstanceOf(EngineInputError);
    // a second click while the first manual call is live (a second later: the account's rate is shared)
    clock.advance(1000);
    const first = await call('k6', '212-555-0147');
    await expect(call('k6', '212-555-0147')).rejects.toMatchObject({ reason: 'LIVE_ATTEMPT' });
    expect(telephony.dials.map((d) => d.attemptId)).toEqual([telephony.dials[0]!.attemptId, first.attemptId]);
  });

  it('bad input names the field and dials nothing', async () => {
    await expect(call('k7', 'banana')).rejects.toThrow(/^phone: /);
    await expect(
      engine.clickToCall(P, { contactId: 'k7', phone: '212-555-0148', repPhone: REP, callerId: '555' }),
    ).rejects.toThrow(/callerId/);
    await expect(engine.clickToCall(P, { phone: '212-555-0148' })).rejects.toBeInstanceOf(EngineInputError);
    expect(telephony.dials).toHaveLength(0);
  });

  // The contact leg is a <Dial> the carrier runs when the rep answers, up to the ring timeout later: the
  // legal hours and the DNC list are checked again then (issue 9, defect 3).
  describe('when the rep answers', () => {
    const lastStatus = async (attemptId: string) =>
      (await store.tail(P, '0', { count: 1000, blockMs: 0 }))
        .filter((e) => e.type === 'attempt.status' && e.attemptId === attemptId)
        .map((e) => (e as { status: string }).status);

    it('past 21:00 in the callee zone: the contact is not dialed, the rep is told why, the attempt ends', async () => {
      clock.t = MONDAY_2PM_NY + 7 * HOUR - 10_000; // 20:59:50 in New York: still legal
      const { attemptId } = await call('r1', '212-555-0160');
      clock.advance(30_000); // the rep picks up at 21:00:20
      const leg = await engine.clickToCallAnswered(attemptId);
      expect(leg).toMatchObject({ ok: false, reason: 'LEGAL_HOURS' });
      expect(leg.ok ? '' : leg.message).toMatch(/^Can't call now: /);
      await settle();
      expect(await lastStatus(attemptId)).toContain('canceled');
      const finished = await finishedEvents();
      expect(finished.map((e) => e.attemptId)).toEqual([attemptId]);
      // the lead is free again: the rep may try tomorrow
      expect((await store.getLead(P, MANUAL_CAMPAIGN_ID, 'r1'))!.progress.state).not.toBe('dialing');
    });

    it('flagged Do-Not-Call while the rep was ringing: the contact is not dialed', async () => {
      const { attemptId } = await call('r2', '212-555-0161');
      await store.addDoNotCall(P, ['+12125550161']);
      clock.advance(5_000);
      expect(await engine.clickToCallAnswered(attemptId)).toMatchObject({ ok: false, reason: 'DNC' });
      expect((await finishedEvents()).map((e) => e.attemptId)).toEqual([attemptId]);
    });

    it('inside the legal hours and not DNC: the contact leg may be dialed, nothing is finished', async () => {
      const { attemptId } = await call('r3', '212-555-0162');
      clock.advance(20_000);
      expect(await engine.clickToCallAnswered(attemptId)).toEqual({ ok: true });
      expect(await finishedEvents()).toHaveLength(0);
      // an attempt that is not a live click-to-call is never approved
      expect(await engine.clickToCallAnswered('a.41.unknown')).toMatchObject({ ok: false });
    });
  });

  it('property: never dials a DNC number nor outside 08:00-21:00 New York time', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 7 * 24 * 60 - 1 }),
        fc.boolean(),
        fc.integer({ min: 100, max: 999 }),
        async (minuteOfWeek, dnc, line) => {
          const s = new MemoryStore(clock);
          const t = new RecordingTelephony(clock);
          const cs = new CampaignService({ store: s, clock, zones: nyZones });
          const e = new Engine({
            limits: generousLimits,
            store: s,
            telephony: t,
            clock,
            campaigns: cs,
            zones: nyZones,
          });
          try {
            clock.t = MONDAY_2PM_NY - 14 * HOUR + minuteOfWeek * 60_000; // from Monday 00:00 NY
            const phone = `+1212555${String(line).padStart(4, '0')}`;
            if (dnc) await s.addDoNotCall(P, [phone]);
            await e
              .clickToCall(P, { contactId: 'p', phone, repPhone: REP, callerId: CALLER_ID })
              .catch((err: unknown) => {
                if (!(err instanceof ClickToCallRefusedError)) throw err;
              });
            const hourNy = Math.floor((minuteOfWeek % (24 * 60)) / 60);
            if (dnc || hourNy < 8 || hourNy >= 21) expect(t.dials).toHaveLength(0);
          } finally {
            await s.close();
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('call flows: agents and reminder transfers', () => {
  const base = CampaignSettingsSchema.parse({
    ...messageCampaign(),
    dialMode: { mode: 'progressive' },
    connectTo: { type: 'agent', agentId: 'rep-9' },
  });

  it('connect-to agent dials the agent number from the directory, never the agent id', () => {
    const directory = (id: string) => (id === 'rep-9' ? '+12125559999' : undefined);
    expect(callFlowFor(base, undefined, directory)).toEqual({ kind: 'connect', targets: ['+12125559999'] });
    expect(callFlowFor(base)).toEqual({ kind: 'connect', targets: [] });
    expect(callFlowFor(base, 'unknown', directory)).toEqual({ kind: 'connect', targets: [] });
    expect(callFlowFor(base, 'rep-9', () => 'rep-9')).toEqual({ kind: 'connect', targets: [] });
  });

  it('a gathering reminder transfers key 2 to the connect-to target', () => {
    const reminder = CampaignSettingsSchema.parse({
      ...messageCampaign(),
      gatherConfirmation: true,
      connectTo: { type: 'hunt-group', numbers: ['+12125558001', '+12125558002'] },
    });
    expect(callFlowFor(reminder)).toMatchObject({
      kind: 'reminder',
      gather: true,
      transferTo: '+12125558001',
    });
    const noTarget = CampaignSettingsSchema.parse({ ...messageCampaign(), gatherConfirmation: true });
    expect(callFlowFor(noTarget)).not.toHaveProperty('transferTo');
  });

  it('the engine dials connect-to agent with the number given by setAgentAvailable', async () => {
    const clock = new ManualClock(MONDAY_2PM_NY);
    const store = new MemoryStore(clock);
    const telephony = new RecordingTelephony(clock);
    const campaigns = new CampaignService({ store, clock, zones: nyZones, random: () => 0 });
    const engine = new Engine({
      limits: generousLimits,
      store,
      telephony,
      clock,
      campaigns,
      zones: nyZones,
      random: () => 0,
    });
    try {
      const c = await campaigns.create(
        P,
        {
          ...messageCampaign(),
          dialMode: { mode: 'progressive' },
          connectTo: { type: 'agent', agentId: 'rep-9' },
        },
        'ag',
      );
      await campaigns.enroll(P, c.campaignId, [{ contactId: 'a1', phone: '212-555-0150' }]);
      await campaigns.act(P, c.campaignId, 'start');
      await expect(engine.setAgentAvailable(P, c.campaignId, 'rep-9', true, 'rep-9')).rejects.toThrow(
        /E.164/,
      );
      await engine.setAgentAvailable(P, c.campaignId, 'rep-9', true, '+12125559999');
      await engine.pass(P);
      await new Promise((r) => setImmediate(r));
      expect(telephony.dials.map((d) => d.flow)).toEqual([{ kind: 'connect', targets: ['+12125559999'] }]);
    } finally {
      await store.close();
    }
  });
});
