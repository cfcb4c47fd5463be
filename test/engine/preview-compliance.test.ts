/**
 * A preview claim is held for up to previewTimeoutSec (up to an hour): the dial must re-check everything the
 * claim checked. Engine level, both stores, manual clock.
 */
import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import { CampaignService } from '../../src/engine/campaigns.js';
import { Engine } from '../../src/engine/dialer.js';
import { MemoryStore } from '../../src/engine/store/memory-store.js';
import type { Store } from '../../src/engine/store/store.js';
import {
  MONDAY_2PM_NY,
  ManualClock,
  RecordingTelephony,
  messageCampaign,
  nyZones,
  generousLimits,
} from './fixtures/harness.js';
import { redisStore, uniquePrefix } from './redis-helpers.js';

const P = '8';
const MINUTE = 60_000;

const stores: [string, (clock: ManualClock) => { store: Store; cleanup: () => Promise<void> }][] = [
  [
    'memory',
    (clock) => {
      const store = new MemoryStore(clock);
      return { store, cleanup: () => store.close() };
    },
  ],
  ['redis', () => redisStore(uniquePrefix('preview'))],
];

describe.each(stores)('preview dial re-checks compliance (%s store)', (_name, makeStore) => {
  let clock: ManualClock;
  let store: Store;
  let cleanup: () => Promise<void>;
  let telephony: RecordingTelephony;
  let engine: Engine;
  let campaigns: CampaignService;

  beforeEach(() => {
    clock = new ManualClock(MONDAY_2PM_NY);
    ({ store, cleanup } = makeStore(clock));
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
  afterEach(() => cleanup());

  async function previewCampaign(name: string, phone = '212-555-0300') {
    const c = await campaigns.create(
      P,
      {
        ...messageCampaign(),
        dialMode: { mode: 'preview', previewTimeoutSec: 3600 },
        connectTo: { type: 'number', number: '+12125559000' },
      },
      name,
    );
    await campaigns.enroll(P, c.campaignId, [{ contactId: 'p1', phone }]);
    await campaigns.act(P, c.campaignId, 'start');
    return c.campaignId;
  }

  it('a number put on DNC after the claim is not dialed', async () => {
    const c = await previewCampaign('dnc');
    const claim = (await engine.claimPreview(P, c, 'agent'))!;
    await store.addDoNotCall(P, [claim.to]);
    expect(await engine.dialPreview(P, claim.claimId)).toMatchObject({ ok: false, reason: 'dnc' });
    expect(telephony.dials).toHaveLength(0);
    // the claim is undone; the next claim blocks the lead for good
    expect(await store.getAttempt(P, claim.claimId)).toBeNull();
    expect(await engine.claimPreview(P, c, 'agent')).toBeNull();
    expect((await store.getLead(P, c, 'p1'))!.progress.state).toBe('dnc');
  });

  it('a campaign paused after the claim does not dial', async () => {
    const c = await previewCampaign('paused');
    const claim = (await engine.claimPreview(P, c, 'agent'))!;
    await campaigns.act(P, c, 'pause');
    expect(await engine.dialPreview(P, claim.claimId)).toMatchObject({ ok: false, reason: 'inactive' });
    expect(telephony.dials).toHaveLength(0);
  });

  it('claimed at 17:59 New York, dialed at 18:49: refused, the lead waits for the next opening', async () => {
    const c = await previewCampaign('late');
    clock.advance(3 * 60 * MINUTE + 59 * MINUTE); // 17:59 in New York
    const claim = (await engine.claimPreview(P, c, 'agent'))!;
    expect(claim).not.toBeNull();
    clock.advance(50 * MINUTE); // 18:49, the claim's lease still runs
    const result = await engine.dialPreview(P, claim.claimId);
    expect(result.ok).toBe(false);
    expect(telephony.dials).toHaveLength(0);
    const lead = (await store.getLead(P, c, 'p1'))!;
    expect(lead.progress.state).not.toBe('dialing');
    expect(lead.dueAt).toBe(Date.UTC(2030, 0, 8, 14, 0, 0)); // Tuesday 09:00 New York
  });

  it('an expired, not yet reaped claim is not dialed once another campaign holds the contact', async () => {
    const a = await previewCampaign('a');
    const b = await previewCampaign('b');
    const first = (await engine.claimPreview(P, a, 'agent-a'))!;
    clock.advance(3600 * 1000); // a's lease ended; no reaper ran
    const second = (await engine.claimPreview(P, b, 'agent-b'))!;
    expect(second).not.toBeNull();
    expect(await engine.dialPreview(P, first.claimId)).toMatchObject({ ok: false, reason: 'expired' });
    expect(await engine.dialPreview(P, second.claimId)).toEqual({ ok: true });
    expect(telephony.dials.map((d) => d.attemptId)).toEqual([second.claimId]);
  });

  it("a Florida number's portal-wide gap holds across campaigns at the preview dial", async () => {
    const a = await previewCampaign('fa', '305-555-0100');
    const b = await previewCampaign('fb', '305-555-0100');
    const first = (await engine.claimPreview(P, a, 'agent-a'))!;
    expect(await engine.dialPreview(P, first.claimId)).toEqual({ ok: true });
    await engine.handleCallEvent({
      type: 'status',
      attemptId: first.claimId,
      providerCallId: 'CA1',
      status: 'busy',
      sequence: 2,
      at: clock.now(),
    });
    clock.advance(5 * MINUTE);
    // the gap (30 min) counts the other campaign's dial: nothing to claim in b yet
    expect(await engine.claimPreview(P, b, 'agent-b')).toBeNull();
    expect((await store.getLead(P, b, 'p1'))!.dueAt).toBeGreaterThanOrEqual(MONDAY_2PM_NY + 30 * MINUTE);
    expect(telephony.dials).toHaveLength(1);
  });
});
