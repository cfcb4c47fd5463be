import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import { CampaignService } from '../../src/engine/campaigns.js';
import { Engine } from '../../src/engine/dialer.js';
import { MemoryStore } from '../../src/engine/store/memory-store.js';
import type { CallEvent } from '../../src/domain/call.js';
import { TelephonyError } from '../../src/telephony/telephony.js';
import {
  MONDAY_2PM_NY,
  ManualClock,
  RecordingTelephony,
  messageCampaign,
  nyZones,
  generousLimits,
} from './fixtures/harness.js';

const P = '7';

describe('Engine (memory store, manual clock)', () => {
  let clock: ManualClock;
  let store: MemoryStore;
  let telephony: RecordingTelephony;
  let engine: Engine;
  let campaigns: CampaignService;

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

  async function startedCampaign(n: number, pace = { callsPerSecond: 10, maxConcurrentCalls: 10 }) {
    const c = await campaigns.create(P, messageCampaign(pace), 'camp');
    const rows = Array.from({ length: n }, (_, i) => ({
      contactId: `c${i}`,
      phone: `(212) 555-${String(1000 + i)}`,
      timeZone: 'America/New_York',
    }));
    const report = await campaigns.enroll(P, c.campaignId, rows);
    expect(report.enrolled).toBe(n);
    await campaigns.act(P, c.campaignId, 'start');
    return c.campaignId;
  }

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

  it('enrollment validates every row and reports skips by row and reason', async () => {
    const c = await campaigns.create(P, messageCampaign(), 'camp');
    await expect(campaigns.enroll(P, c.campaignId, [{ contactId: '', phone: '1' }])).rejects.toThrow(
      /row 1: contactId/,
    );
    const report = await campaigns.enroll(P, c.campaignId, [
      { contactId: 'a', phone: '212-555-0100' },
      { contactId: 'b', phone: '+1 212 555 0100' },
      { contactId: 'c', phone: '' },
      { contactId: 'd', phone: 'banana' },
      { contactId: 'e', phone: '212-555-0101', doNotCall: true },
    ]);
    expect(report.enrolled).toBe(1);
    expect(report.skipped.map((s) => [s.row, s.reason])).toEqual(
      expect.arrayContaining([
        [2, 'DUPLICATE'],
        [3, 'MISSING_NUMBER'],
        [4, 'INVALID_NUMBER'],
        [5, 'DNC'],
      ]),
    );
    expect(await campaigns.counts(P, c.campaignId)).toMatchObject({ enrolled: 1, DUPLICATE: 1, DNC: 1 });
    await expect(campaigns.updateSettings(P, c.campaignId, { name: '' })).rejects.toThrow(/name/);
  });

  it('dials due leads within the pace and finishes each once, whatever the callback order', async () => {
    const campaignId = await startedCampaign(3, { callsPerSecond: 2, maxConcurrentCalls: 10 });
    await engine.pass(P);
    await settle();
    expect(telephony.dials.length).toBe(1); // 2 cps: the next slot is 500 ms later
    clock.advance(500);
    await engine.pass(P);
    await settle();
    expect(telephony.dials.length).toBe(2);
    const first = telephony.dials[0]!.attemptId;
    // out of order and duplicated: completed before ringing, twice
    await engine.handleCallEvent(status(first, 'completed', 3, { durationSec: 30 }));
    await engine.handleCallEvent(status(first, 'ringing', 1));
    await engine.handleCallEvent(status(first, 'completed', 3, { durationSec: 30 }));
    const lead = await store.getLead(P, campaignId, telephony.dials[0]!.contactId);
    expect(lead!.progress).toMatchObject({ state: 'reached', attempts: 1 });
    const finished = (await store.tail(P, '0', { count: 100, blockMs: 0 })).filter(
      (e) => e.type === 'attempt.finished',
    );
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({
      disposition: 'LEFT_LIVE_MESSAGE',
      nextState: 'reached',
      localHour: 14,
    });
  });

  it("ignores a callback whose CallSid is not the attempt's own call (issue 9, defect 8)", async () => {
    const campaignId = await startedCampaign(1);
    await engine.pass(P);
    await settle();
    const a1 = telephony.dials[0]!.attemptId;
    expect((await store.getAttempt(P, a1))!.providerCallId).toBe('CA1');
    // a misrouted or forged callback: another call's SID under this attempt id
    await engine.handleCallEvent({
      ...status(a1, 'completed', 9, { durationSec: 42 }),
      providerCallId: 'CA-other',
    });
    await engine.handleCallEvent({ ...status(a1, 'busy', 10), providerCallId: 'CA-other' });
    expect((await store.getAttempt(P, a1))!.state).toBe('dialed');
    expect((await store.getLead(P, campaignId, 'c0'))!.progress.state).toBe('dialing');
    // the call's own callbacks still count
    await engine.handleCallEvent(status(a1, 'completed', 3, { durationSec: 30 }));
    expect((await store.getLead(P, campaignId, 'c0'))!.progress.state).toBe('reached');
    const finished = (await store.tail(P, '0', { count: 100, blockMs: 0 })).filter(
      (e) => e.type === 'attempt.finished',
    );
    expect(finished).toMatchObject([{ attemptId: a1, providerCallId: 'CA1', durationSec: 30 }]);
  });

  it('busy goes to retry with a new attempt id; a lost call is finalized by the reaper and never redialed', async () => {
    const campaignId = await startedCampaign(1);
    await engine.pass(P);
    await settle();
    const a1 = telephony.dials[0]!.attemptId;
    await engine.handleCallEvent(status(a1, 'busy', 2));
    const lead = (await store.getLead(P, campaignId, 'c0'))!;
    expect(lead.progress.state).toBe('retrying');
    expect(lead.dueAt).toBe(MONDAY_2PM_NY + 3_600_000);
    clock.advance(3_600_000);
    await engine.pass(P);
    await settle();
    const a2 = telephony.dials[1]!.attemptId;
    expect(a2).not.toBe(a1);
    // no callback ever arrives for a2: after its lease, a technical error, counted, retried per policy
    clock.advance(10 * 60_000);
    await engine.pass(P);
    await settle();
    expect(telephony.dials.map((d) => d.attemptId)).toEqual([a1, a2]);
    const after = (await store.getLead(P, campaignId, 'c0'))!;
    expect(after.progress).toMatchObject({ attempts: 2, consecutiveTechnicalErrors: 1 });
    expect(['retrying', 'failed']).toContain(after.progress.state);
    // a late callback for the reaped attempt changes nothing
    await engine.handleCallEvent(status(a2, 'completed', 5, { durationSec: 40 }));
    expect((await store.getLead(P, campaignId, 'c0'))!.rev).toBe(after.rev);
  });

  it('an account error pauses the campaign and does not burn the attempt', async () => {
    const campaignId = await startedCampaign(1);
    telephony.failNext = new TelephonyError('caller id not verified', 21210, 400, false);
    await engine.pass(P);
    await settle();
    await settle();
    expect((await store.getCampaign(P, campaignId))!.status).toBe('paused');
    const lead = (await store.getLead(P, campaignId, 'c0'))!;
    expect(lead.progress).toMatchObject({ state: 'retrying', attempts: 0 });
    const alerts = (await store.tail(P, '0', { count: 100, blockMs: 0 })).filter(
      (e) => e.type === 'campaign.alert',
    );
    expect(alerts).toHaveLength(1);
  });

  it('a wrap-up with DNC puts the number on the portal DNC list and ends the contact', async () => {
    const campaignId = await startedCampaign(1);
    await engine.pass(P);
    await settle();
    const a1 = telephony.dials[0]!.attemptId;
    await engine.handleCallEvent(status(a1, 'completed', 3, { durationSec: 60 }));
    await engine.wrapUp(P, a1, { doNotCall: true, notes: 'asked to stop' });
    expect((await store.getLead(P, campaignId, 'c0'))!.progress.state).toBe('dnc');
    expect(await store.isDoNotCall(P, '+12125551000')).toBe(true);
  });

  it('preview: a rep claims, then skips (back to the queue) or dials; the claim expires on its own', async () => {
    const c = await campaigns.create(
      P,
      {
        ...messageCampaign(),
        dialMode: { mode: 'preview', previewTimeoutSec: 30 },
        connectTo: { type: 'number', number: '+12125559000' },
      },
      'prev',
    );
    await campaigns.enroll(P, c.campaignId, [{ contactId: 'p1', phone: '212-555-0300' }]);
    await campaigns.act(P, c.campaignId, 'start');
    await engine.pass(P);
    expect(telephony.dials).toHaveLength(0); // the worker never dials a preview campaign by itself
    const claim = (await engine.claimPreview(P, c.campaignId, 'agent-1'))!;
    expect(claim.contactId).toBe('p1');
    expect(await engine.claimPreview(P, c.campaignId, 'agent-2')).toBeNull();
    expect(await engine.skipPreview(P, claim.claimId)).toBe(true);
    const again = (await engine.claimPreview(P, c.campaignId, 'agent-2'))!;
    clock.advance(30_000);
    await engine.pass(P); // reaper: preview lease expired
    expect(await engine.dialPreview(P, again.claimId)).toMatchObject({ ok: false });
    const third = (await engine.claimPreview(P, c.campaignId, 'agent-3'))!;
    expect(await engine.dialPreview(P, third.claimId)).toEqual({ ok: true });
    expect(telephony.dials.map((d) => d.attemptId)).toEqual([third.claimId]);
  });

  it('progressive mode dials one call per available agent', async () => {
    const c = await campaigns.create(
      P,
      {
        ...messageCampaign({ callsPerSecond: 50, maxConcurrentCalls: 50 }),
        dialMode: { mode: 'progressive' },
        connectTo: { type: 'number', number: '+12125559000' },
      },
      'prog',
    );
    await campaigns.enroll(
      P,
      c.campaignId,
      Array.from({ length: 5 }, (_, i) => ({ contactId: `g${i}`, phone: `212-555-04${10 + i}` })),
    );
    await campaigns.act(P, c.campaignId, 'start');
    await engine.pass(P);
    expect(telephony.dials).toHaveLength(0);
    await engine.setAgentAvailable(P, c.campaignId, 'rep1', true);
    await engine.setAgentAvailable(P, c.campaignId, 'rep2', true);
    for (let i = 0; i < 5; i++) {
      clock.advance(100);
      await engine.pass(P);
      await settle();
    }
    expect(telephony.dials).toHaveLength(2);
  });
});
