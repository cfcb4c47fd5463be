import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import { CampaignService } from '../../src/engine/campaigns.js';
import type { Clock } from '../../src/shared/clock.js';
import { Engine } from '../../src/engine/dialer.js';
import { MemoryStore } from '../../src/engine/store/memory-store.js';
import {
  MONDAY_2PM_NY,
  ManualClock,
  RecordingTelephony,
  messageCampaign,
  nyZones,
  generousLimits,
} from './fixtures/harness.js';

const P = '31';
const HOUR = 3_600_000;
const MINUTE = 60_000;

/** A clock whose sleeps end only when the test moves time past them: shows what a worker waits for. */
class SteppingClock implements Clock {
  private waiters: { at: number; resolve: () => void }[] = [];
  constructor(public t: number) {}
  now = () => this.t;
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (ms <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = { at: this.t + ms, resolve };
      this.waiters.push(waiter);
      signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  }
  /** When the earliest pending sleep ends, if any. */
  nextWakeAt(): number | undefined {
    return this.waiters.length ? Math.min(...this.waiters.map((w) => w.at)) : undefined;
  }
  advanceTo(t: number) {
    this.t = t;
    const due = this.waiters.filter((w) => w.at <= t);
    this.waiters = this.waiters.filter((w) => w.at > t);
    for (const w of due) w.resolve();
  }
}

const settle = async (rounds = 50) => {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
};

function setup(clock: Clock) {
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
  return { store, telephony, campaigns, engine };
}

async function scheduledCampaign(s: ReturnType<typeof setup>, id: string, startAt: number) {
  const c = await s.campaigns.create(
    P,
    { ...messageCampaign(), startAt: new Date(startAt).toISOString() },
    id,
  );
  await s.campaigns.enroll(P, c.campaignId, [
    { contactId: `${id}-1`, phone: '212-555-0101', timeZone: 'America/New_York' },
  ]);
  await s.campaigns.act(P, c.campaignId, 'schedule');
  return c.campaignId;
}

describe('campaign lifecycle: contact source', () => {
  let clock: ManualClock;
  let s: ReturnType<typeof setup>;
  beforeEach(() => {
    clock = new ManualClock(MONDAY_2PM_NY);
    s = setup(clock);
  });
  afterEach(() => s.store.close());

  it('refuses to start or schedule a campaign with no enrolled contact, and changes nothing', async () => {
    const c = await s.campaigns.create(P, {
      ...messageCampaign(),
      startAt: new Date(MONDAY_2PM_NY + HOUR).toISOString(),
    });
    await expect(s.campaigns.act(P, c.campaignId, 'start')).rejects.toThrow(/needs a contact list/);
    await expect(s.campaigns.act(P, c.campaignId, 'schedule')).rejects.toThrow(/needs a contact list/);
    expect((await s.campaigns.get(P, c.campaignId)).status).toBe('draft');
    // a row that was skipped is not a contact to call either
    await s.campaigns.enroll(P, c.campaignId, [{ contactId: 'x', phone: 'not a number' }]);
    await expect(s.campaigns.act(P, c.campaignId, 'start')).rejects.toThrow(/needs a contact list/);
    await s.campaigns.enroll(P, c.campaignId, [{ contactId: 'y', phone: '212-555-0199' }]);
    expect((await s.campaigns.act(P, c.campaignId, 'start')).status).toBe('active');
  });
});

describe('scheduled starts', () => {
  let clock: ManualClock;
  let s: ReturnType<typeof setup>;
  beforeEach(() => {
    clock = new ManualClock(MONDAY_2PM_NY);
    s = setup(clock);
  });
  afterEach(() => s.store.close());

  it('a pass asks to run again exactly at the planned start, and starts the campaign then', async () => {
    const startAt = MONDAY_2PM_NY + HOUR;
    const id = await scheduledCampaign(s, 'sched', startAt);
    expect(await s.engine.pass(P)).toBeLessThanOrEqual(startAt);
    expect(s.telephony.dials).toHaveLength(0);
    expect((await s.campaigns.get(P, id)).status).toBe('scheduled');

    clock.advance(HOUR - 1);
    await s.engine.pass(P);
    expect((await s.campaigns.get(P, id)).status).toBe('scheduled');

    clock.advance(1);
    await s.engine.pass(P); // starts it
    await s.engine.pass(P); // dials it
    await settle();
    expect((await s.campaigns.get(P, id)).status).toBe('active');
    expect(s.telephony.dials.map((d) => d.contactId)).toEqual(['sched-1']);
    const events = await s.store.tail(P, '0', { count: 100, blockMs: 0 });
    const moves = events.filter((e) => e.type === 'campaign.status').map((e) => `${e.from}->${e.to}`);
    expect(moves).toEqual(['draft->scheduled', 'scheduled->active']);
  });

  it('a start missed by more than the grace period makes the campaign overdue, and it never dials by itself', async () => {
    const startAt = MONDAY_2PM_NY + HOUR;
    const id = await scheduledCampaign(s, 'late', startAt);
    clock.advance(HOUR + 15 * MINUTE + 1); // the backend was down through the start and the grace period
    await s.engine.pass(P);
    await s.engine.pass(P);
    await settle();
    expect((await s.campaigns.get(P, id)).status).toBe('overdue');
    expect(s.telephony.dials).toHaveLength(0);
    // the manager starts it by hand
    await s.campaigns.act(P, id, 'start');
    await s.engine.pass(P);
    await settle();
    expect(s.telephony.dials).toHaveLength(1);
  });

  it('a start missed by less than the grace period still starts', async () => {
    const startAt = MONDAY_2PM_NY + HOUR;
    const id = await scheduledCampaign(s, 'grace', startAt);
    clock.advance(HOUR + 15 * MINUTE);
    await s.engine.pass(P);
    expect((await s.campaigns.get(P, id)).status).toBe('active');
  });

  it('two services racing over the same start move it once (one status event)', async () => {
    const startAt = MONDAY_2PM_NY + HOUR;
    const id = await scheduledCampaign(s, 'race', startAt);
    clock.advance(HOUR);
    const other = new CampaignService({ store: s.store, clock, zones: nyZones });
    const [a, b] = await Promise.all([s.campaigns.runScheduledStarts(P), other.runScheduledStarts(P)]);
    expect([...a.started, ...b.started]).toEqual([id]);
    const events = await s.store.tail(P, '0', { count: 100, blockMs: 0 });
    expect(events.filter((e) => e.type === 'campaign.status')).toHaveLength(2);
  });
});

describe('scheduled starts in the worker loop', () => {
  it('a sleeping worker wakes at the planned start (no polling) and dials', async () => {
    const clock = new SteppingClock(MONDAY_2PM_NY);
    const s = setup(clock);
    const startAt = MONDAY_2PM_NY + 30_000;
    const id = await scheduledCampaign(s, 'loop', startAt);
    s.engine.start([P]);
    try {
      await settle();
      // Follow the worker's own sleeps (the reaper's second ticks among them): one of them ends at the start.
      const wakes: number[] = [];
      for (let i = 0; i < 100 && s.telephony.dials.length === 0; i++) {
        const at = clock.nextWakeAt();
        if (at === undefined) {
          await settle(1);
          continue;
        }
        expect(at).toBeLessThanOrEqual(startAt);
        wakes.push(at);
        clock.advanceTo(at);
        await settle();
      }
      expect(wakes).toContain(startAt);
      expect(s.telephony.dials.map((d) => d.at)).toEqual([startAt]);
      expect((await s.campaigns.get(P, id)).status).toBe('active');
      expect(s.telephony.dials.map((d) => d.contactId)).toEqual(['loop-1']);
    } finally {
      await s.engine.stop();
      await s.store.close();
    }
  });
});
