/**
 * A claim is tied to the settings its checks used (issue 9 #5): a campaign paused, given today as a no-call
 * date and resumed between the pre-dial check and the claim must not be dialed under its old settings. The
 * claim is refused, the dispatcher re-reads the campaign and checks the lead again: no call goes out today and
 * the lead stays queued (moved to the next allowed day), never dropped.
 */
import { describe, it, expect, afterAll } from '@jest/globals';
import fc from 'fast-check';
import { CampaignService } from '../../src/engine/campaigns.js';
import { Engine } from '../../src/engine/dialer.js';
import { MemoryStore } from '../../src/engine/store/memory-store.js';
import type { Store } from '../../src/engine/store/store.js';
import {
  MONDAY_2PM_NY,
  ManualClock,
  RecordingTelephony,
  generousLimits,
  messageCampaign,
  nyZones,
} from './fixtures/harness.js';
import { redisStore, uniquePrefix } from './redis-helpers.js';

const P = '9';
const TODAY_NY = '2030-01-07';
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

const makers: [string, (clock: ManualClock) => Store][] = [
  ['memory', (clock) => new MemoryStore(clock)],
  [
    'redis',
    () => {
      const h = redisStore(uniquePrefix('setver'));
      cleanups.push(h.cleanup);
      return h.store;
    },
  ],
];

describe.each(makers)('claim under changed settings (%s store)', (_name, make) => {
  it('pause, add today as a no-call date, resume between the check and the claim: no call today', async () => {
    const clock = new ManualClock(MONDAY_2PM_NY);
    const store = make(clock);
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
    const settings = messageCampaign();
    const { campaignId } = await campaigns.create(P, settings, 'camp');
    await campaigns.enroll(P, campaignId, [
      { contactId: 'c1', phone: '(212) 555-0101', timeZone: 'America/New_York' },
    ]);
    await campaigns.act(P, campaignId, 'start');

    // the race: the edit lands after the dispatcher's pre-dial check, before its claim
    const claimBatch = store.claimBatch.bind(store);
    let edited = false;
    store.claimBatch = async (request) => {
      if (!edited) {
        edited = true;
        await campaigns.act(P, campaignId, 'pause');
        await campaigns.updateSettings(P, campaignId, { ...settings, noCallDates: [{ date: TODAY_NY }] });
        await campaigns.act(P, campaignId, 'resume');
      }
      return claimBatch(request);
    };

    await engine.pass(P);
    await engine.pass(P);
    expect(edited).toBe(true);
    expect(telephony.dials).toEqual([]);
    const lead = await store.getLead(P, campaignId, 'c1');
    expect(lead?.progress.state).not.toBe('failed');
    expect(lead?.dueAt).not.toBeNull();
    expect(lead!.dueAt!).toBeGreaterThanOrEqual(Date.UTC(2030, 0, 8, 5, 0, 0)); // the next day in New York
    await engine.stop();
    if (store instanceof MemoryStore) store.close();
  });

  it('property: a batch claim is granted iff it names the stored settings version', async () => {
    const clock = new ManualClock(MONDAY_2PM_NY);
    const store = make(clock);
    const campaigns = new CampaignService({ store, clock, zones: nyZones, random: () => 0 });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(4), fc.integer({ min: -2, max: 5 }), async (edits, named) => {
        const { campaignId } = await campaigns.create(P, messageCampaign(), `prop${++n}`);
        // a number of its own per run: an earlier run's grant holds its number live
        const contactId = `k${n}`;
        await campaigns.enroll(P, campaignId, [{ contactId, phone: `(212) 555-${String(2000 + n)}` }]);
        await campaigns.act(P, campaignId, 'start');
        for (let i = 0; i < edits; i++) {
          await campaigns.act(P, campaignId, 'pause');
          await campaigns.act(P, campaignId, 'resume');
        }
        const stored = (await store.getCampaign(P, campaignId))!.version;
        const [lead] = await store.peekDue(P, campaignId, clock.now(), 1);
        const result = await store.claimBatch({
          portalId: P,
          campaignId,
          now: clock.now(),
          candidates: [{ contactId, expectRev: lead!.rev, attemptId: `a${n}`, from: '+12125550000' }],
          claimLeaseUntil: clock.now() + 15_000,
          dialLeaseUntil: clock.now() + 60_000,
          maxLive: null,
          busyRetryMs: 30_000,
          amd: false,
          campaignVersion: stored - edits * 2 + named,
        });
        const current = stored - edits * 2 + named === stored;
        expect(result.granted.length).toBe(current ? 1 : 0);
        if (!current) expect(result.stop?.reason).toBe('settings-changed');
      }),
      { numRuns: 25 },
    );
    if (store instanceof MemoryStore) store.close();
  });
});
