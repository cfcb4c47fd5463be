/**
 * Defense in depth behind the replay-safe scripts: when a store call that grants a dial fails with a connection
 * error, its atomic step may still have run. The engine then looks the attempt up by id: an attempt the call
 * wrote as dial-requested is dialed (once), not left to be reaped as a "lost" call that was never placed.
 */
import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import { CampaignService } from '../../src/engine/campaigns.js';
import { Engine } from '../../src/engine/dialer.js';
import { MemoryStore } from '../../src/engine/store/memory-store.js';
import type {
  BatchClaimRequest,
  BatchClaimResult,
  PaceLevel,
  AttemptRecord,
} from '../../src/engine/store/store.js';
import type { EngineEvent } from '../../src/engine/events.js';
import type { StoredEvent } from '../../src/engine/events.js';
import {
  MONDAY_2PM_NY,
  ManualClock,
  RecordingTelephony,
  messageCampaign,
  nyZones,
  generousLimits,
} from './fixtures/harness.js';

const P = '8';

/** The store runs the call, then the reply is lost: the caller sees a connection error. */
class ReplyLosingStore extends MemoryStore {
  loseNextBatchReply = false;
  loseNextMarkReply = false;

  override async claimBatch(request: BatchClaimRequest): Promise<BatchClaimResult> {
    const result = await super.claimBatch(request);
    if (this.loseNextBatchReply) {
      this.loseNextBatchReply = false;
      throw new Error('Connection is closed.');
    }
    return result;
  }

  override async markDialRequested(
    portalId: string,
    attemptId: string,
    now: number,
    leaseUntil: number,
    events: EngineEvent[],
    pace?: PaceLevel[],
  ) {
    const result = await super.markDialRequested(portalId, attemptId, now, leaseUntil, events, pace);
    if (this.loseNextMarkReply) {
      this.loseNextMarkReply = false;
      throw new Error('Connection is closed.');
    }
    return result;
  }
}

describe('a store call whose reply is lost (engine, memory store, manual clock)', () => {
  let clock: ManualClock;
  let store: ReplyLosingStore;
  let telephony: RecordingTelephony;
  let engine: Engine;
  let campaigns: CampaignService;
  const errors: unknown[] = [];

  beforeEach(() => {
    clock = new ManualClock(MONDAY_2PM_NY);
    store = new ReplyLosingStore(clock);
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
      onError: (e) => errors.push(e),
    });
  });
  afterEach(() => store.close());

  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };
  const events = async () => store.tail(P, '0', { count: 1000, blockMs: 0 });
  const ofType = (all: StoredEvent[], type: string) => all.filter((e) => e.type === type);

  it('auto-dial: the attempts the lost batch claim granted are dialed once, and none is reaped as lost', async () => {
    const c = await campaigns.create(
      P,
      messageCampaign({ callsPerSecond: 100, maxConcurrentCalls: 10 }),
      'a',
    );
    await campaigns.enroll(P, c.campaignId, [
      { contactId: 'x1', phone: '212-555-0401' },
      { contactId: 'x2', phone: '212-555-0402' },
    ]);
    await campaigns.act(P, c.campaignId, 'start');
    store.loseNextBatchReply = true;
    await expect(engine.pass(P)).rejects.toThrow(/Connection is closed/);
    await settle();
    const started = ofType(await events(), 'attempt.started').map(
      (e) => (e as { attemptId: string }).attemptId,
    );
    expect(started.length).toBeGreaterThan(0);
    expect(telephony.dials.map((d) => d.attemptId)).toEqual(started);

    // the next passes dial the rest; nothing is dialed twice
    for (let i = 0; i < 5; i++) {
      clock.advance(100);
      await engine.pass(P);
      await settle();
    }
    const contacts = telephony.dials.map((d) => d.contactId).sort();
    expect(contacts).toEqual(['x1', 'x2']);

    // past every lease: no attempt that was dialed is finalized as lost without its call
    clock.advance(15_000 + 120_000 + 60_000);
    await engine.pass(P);
    await settle();
    const lost = ofType(await events(), 'attempt.finished').filter(
      (e) => !telephony.dials.some((d) => d.attemptId === (e as { attemptId: string }).attemptId),
    );
    expect(lost).toEqual([]);
  });

  it('preview: the dial request whose reply is lost is still dialed, with one attempt.started', async () => {
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
    const claim = (await engine.claimPreview(P, c.campaignId, 'agent-1'))!;
    store.loseNextMarkReply = true;
    expect(await engine.dialPreview(P, claim.claimId)).toEqual({ ok: true });
    expect(telephony.dials.map((d) => d.attemptId)).toEqual([claim.claimId]);
    const started = ofType(await events(), 'attempt.started');
    expect(started.map((e) => (e as { attemptId: string }).attemptId)).toEqual([claim.claimId]);
    const attempt = (await store.getAttempt(P, claim.claimId)) as AttemptRecord;
    expect(attempt.state).toBe('dialed');
  });
});
