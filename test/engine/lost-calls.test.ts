/**
 * A silent call is never presumed lost while the carrier says it is live; a dial whose reply was lost keeps its
 * contact; a dial that never went out costs no attempt; a late final status corrects the CRM record; every dial
 * carries a deadline inside the callee's open window.
 */
import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import fc from 'fast-check';
import { CampaignService } from '../../src/engine/campaigns.js';
import { Engine } from '../../src/engine/dialer.js';
import { MemoryStore } from '../../src/engine/store/memory-store.js';
import type { StoredEvent } from '../../src/engine/events.js';
import type { CallStatusSnapshot } from '../../src/telephony/telephony.js';
import { TelephonyError } from '../../src/telephony/telephony.js';
import { LocalSampleCrm } from '../../src/crm/local-sample-crm.js';
import { startWriteback } from '../../src/crm/writeback.js';
import { createLogger } from '../../src/observability/logger.js';
import { checkCallable } from '../../src/domain/windows.js';
import { callingRules, locationOf } from '../../src/engine/lead-context.js';
import {
  MONDAY_2PM_NY,
  ManualClock,
  RecordingTelephony,
  messageCampaign,
  nyZones,
  generousLimits,
} from './fixtures/harness.js';

const P = '9';
const LONG_SILENCE_MS = 10 * 60_000;

class StatusTelephony extends RecordingTelephony {
  readonly statuses = new Map<string, CallStatusSnapshot | null>();
  async fetchStatus(providerCallId: string) {
    return this.statuses.get(providerCallId) ?? null;
  }
}

describe('lost calls', () => {
  let clock: ManualClock;
  let store: MemoryStore;
  let telephony: StatusTelephony;
  let engine: Engine;
  let campaigns: CampaignService;
  const errors: unknown[] = [];

  function wire(at = MONDAY_2PM_NY) {
    clock = new ManualClock(at);
    store = new MemoryStore(clock);
    telephony = new StatusTelephony(clock);
    campaigns = new CampaignService({ store, clock, zones: nyZones, random: () => 0 });
    engine = new Engine({
      limits: generousLimits,
      store,
      telephony,
      clock,
      campaigns,
      zones: nyZones,
      random: () => 0,
      onError: (e) => errors.push(e),
    });
  }

  beforeEach(() => {
    errors.length = 0;
    wire();
  });
  afterEach(() => store.close());

  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };

  async function startedCampaign(n = 1) {
    const c = await campaigns.create(P, messageCampaign(), 'camp');
    const rows = Array.from({ length: n }, (_, i) => ({
      contactId: `c${i}`,
      phone: `(212) 555-${String(1000 + i)}`,
      timeZone: 'America/New_York',
    }));
    await campaigns.enroll(P, c.campaignId, rows);
    await campaigns.act(P, c.campaignId, 'start');
    return c.campaignId;
  }

  async function events(): Promise<StoredEvent[]> {
    return store.tail(P, '0', { count: 10_000, blockMs: 0 });
  }

  async function dialOne() {
    const campaignId = await startedCampaign();
    await engine.pass(P);
    await settle();
    expect(telephony.dials).toHaveLength(1);
    return { campaignId, attemptId: telephony.dials[0]!.attemptId };
  }

  it('keeps a silent call the carrier reports live, then folds the final status the carrier reports', async () => {
    const { campaignId, attemptId } = await dialOne();
    telephony.statuses.set('CA1', { status: 'in-progress' });
    clock.advance(LONG_SILENCE_MS);
    await engine.reap(P);
    const live = await store.getAttempt(P, attemptId);
    expect(live?.state).toBe('dialed');
    expect(live!.leaseUntil).toBeGreaterThan(clock.now());
    expect((await store.getLead(P, campaignId, 'c0'))?.progress.state).toBe('dialing');
    expect((await events()).some((e) => e.type === 'attempt.finished')).toBe(false);

    telephony.statuses.set('CA1', { status: 'completed', durationSec: 42 });
    clock.advance(LONG_SILENCE_MS);
    await engine.reap(P);
    expect((await store.getAttempt(P, attemptId))?.state).toBe('finished');
    const finished = (await events()).filter((e) => e.type === 'attempt.finished');
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({ durationSec: 42 });
    expect(finished[0]).not.toMatchObject({ disposition: 'FAILED' });
  });

  it('an answered call whose callbacks went quiet is looked up at the carrier within minutes, until it answers (issue 9 #6)', async () => {
    const { campaignId, attemptId } = await dialOne();
    const callId = telephony.callIdOf(attemptId);
    await engine.handleCallEvent({
      type: 'status',
      attemptId,
      providerCallId: callId,
      status: 'in-progress',
      at: clock.now(),
    });
    // the final callback is lost; the carrier cannot answer at first, then says the call is still up
    let asked = 0;
    telephony.fetchStatus = async (id: string) => {
      asked++;
      if (asked === 1) throw new Error('carrier unreachable');
      return telephony.statuses.get(id) ?? null;
    };
    telephony.statuses.set(callId, { status: 'in-progress' });
    for (let i = 0; i < 8; i++) {
      clock.advance(30_000);
      await engine.reap(P);
    }
    expect(asked).toBeGreaterThanOrEqual(2);
    expect((await store.getAttempt(P, attemptId))?.state).toBe('dialed');
    // the person talked for five minutes; the carrier now reports the call completed
    telephony.statuses.set(callId, { status: 'completed', durationSec: 300 });
    for (let i = 0; i < 10; i++) {
      clock.advance(30_000);
      await engine.reap(P);
    }
    expect((await store.getAttempt(P, attemptId))?.state).toBe('finished');
    const finished = (await events()).filter((e) => e.type === 'attempt.finished');
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({ durationSec: 300 });
    expect(finished[0]).not.toMatchObject({ disposition: 'FAILED' });
    const lead = await store.getLead(P, campaignId, 'c0');
    expect(lead?.progress.state).not.toBe('retrying');
    expect(lead?.dueAt).toBeNull();
  });

  it('finalizes as lost only when the carrier does not know the call', async () => {
    const { attemptId } = await dialOne();
    clock.advance(LONG_SILENCE_MS);
    await engine.reap(P);
    expect((await store.getAttempt(P, attemptId))?.state).toBe('finished');
    const finished = (await events()).find((e) => e.type === 'attempt.finished');
    expect(finished).toMatchObject({ disposition: 'FAILED' });
  });

  it('a maybe-sent dial keeps the contact until its lease ends; a late final status corrects the CRM record', async () => {
    const campaignId = await startedCampaign();
    telephony.failNext = new TelephonyError('socket hang up', undefined, undefined, true, {
      maybeSent: true,
    });
    await engine.pass(P);
    await settle();
    const started = (await events()).find((e) => e.type === 'attempt.started');
    const attemptId = (started as { attemptId: string }).attemptId;
    expect((await store.getAttempt(P, attemptId))?.state).toBe('dial-requested');
    expect((await store.getLead(P, campaignId, 'c0'))?.progress.state).toBe('dialing');
    // still inside the lease: nothing happens
    clock.advance(60_000);
    await engine.reap(P);
    expect((await store.getAttempt(P, attemptId))?.state).toBe('dial-requested');

    clock.advance(LONG_SILENCE_MS);
    await engine.reap(P);
    expect((await store.getAttempt(P, attemptId))?.state).toBe('finished');

    // the call had been placed after all: its final callback arrives late
    await engine.handleCallEvent({
      type: 'status',
      attemptId,
      providerCallId: 'CA-late',
      status: 'completed',
      durationSec: 30,
      at: clock.now(),
    });
    const corrected = (await events()).filter((e) => e.type === 'attempt.corrected');
    expect(corrected).toHaveLength(1);
    expect(corrected[0]).toMatchObject({ attemptId, status: 'completed', durationSec: 30 });
    expect(corrected[0]).not.toMatchObject({ disposition: 'FAILED' });

    const crm = new LocalSampleCrm();
    crm.addContacts('list', [{ id: 'c0', phone: '+12125551000' }] as never);
    const wb = startWriteback({
      eventLog: store,
      portalId: P,
      crm,
      consumer: 'w',
      clock,
      logger: createLogger({ level: 'silent' }),
      blockMs: 5,
    });
    for (let i = 0; i < 2000 && wb.stats.written < 2; i++) await new Promise((r) => setTimeout(r, 2));
    await wb.stop();
    expect(crm.callByAttempt(attemptId)).toMatchObject({
      disposition: (corrected[0] as { disposition: string }).disposition,
    });
  });

  it('a dial that never went out (deadline passed) is requeued without counting an attempt', async () => {
    const campaignId = await startedCampaign();
    telephony.failNext = new TelephonyError('deadline passed', undefined, undefined, false, {
      notDialed: true,
    });
    await engine.pass(P);
    await settle();
    const lead = await store.getLead(P, campaignId, 'c0');
    expect(lead?.progress.attempts).toBe(0);
    expect(lead?.dueAt).not.toBeNull();
    // No phantom active call: the attempt.started the claim wrote is closed by an attempt.finished that says
    // no call was placed (so the CRM does not record it as a call), and the lead is back in the queue.
    const [started] = (await events()).filter((e) => e.type === 'attempt.started');
    const finished = (await events()).filter((e) => e.type === 'attempt.finished');
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({ attemptId: started!.attemptId, placed: false, durationSec: 0 });
    expect(finished[0]).not.toHaveProperty('providerCallId');
    // due again (another campaign's or this number's spacing rules may move it later, never earlier)
    clock.t = Math.max(clock.t, lead!.dueAt!);
    await engine.pass(P);
    await settle();
    expect(telephony.dials).toHaveLength(1);
    expect((await store.getLead(P, campaignId, 'c0'))?.progress.state).toBe('dialing');
  });

  it('property: every dial carries a deadline inside the open window and within 2 s of its slot', async () => {
    let dialsSeen = 0;
    const NY_MIDNIGHT = Date.UTC(2030, 0, 7, 5, 0, 0); // Monday 00:00 in New York
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 24 * 3600 - 1 }), async (secondOfDay) => {
        store.close();
        wire(NY_MIDNIGHT + secondOfDay * 1000);
        const campaignId = await startedCampaign();
        const lead = await store.getLead(P, campaignId, 'c0');
        clock.t = Math.max(clock.t, lead!.dueAt ?? clock.t);
        await engine.pass(P);
        await settle();
        for (const dial of telephony.dials) {
          dialsSeen++;
          expect(dial.notAfter).toBeDefined();
          expect(dial.notAfter!).toBeGreaterThan(dial.at);
          expect(dial.notAfter!).toBeLessThanOrEqual(dial.at + 2000);
          const rules = callingRules((await campaigns.get(P, campaignId)).settings, campaigns.account(P));
          const location = locationOf(dial.to, 'America/New_York', ['America/New_York']);
          // the last instant the carrier may place it is still callable
          expect(checkCallable(dial.notAfter! - 1, rules, location).open).toBe(true);
        }
      }),
      { numRuns: 40 },
    );
    expect(dialsSeen).toBeGreaterThan(20);
  });
});
