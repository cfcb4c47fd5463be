/**
 * A claim is tied to the settings its checks used (issue 9 #5): a campaign paused, given today as a no-call
 * date and resumed between the pre-dial check and the claim must not be dialed under its old settings. The
 * claim is refused, the dispatcher re-reads the campaign and checks the lead again: no call goes out today and
 * the lead stays queued (moved to the next allowed day), never dropped.
 */
import { describe, it, expect, afterAll } from '@jest/globals';
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
});
