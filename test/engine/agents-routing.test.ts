/**
 * Agents in the engine over the memory store with a manual clock: answered calls go to an idle agent's pinned
 * conference or, with nobody free within 2 s, to the safe-harbor message (ABANDONED, counted); the agent
 * owes a wrap-up after each call, within the campaign's limit.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import type { CallEvent, CallStatus } from '../../src/domain/call.js';
import { CampaignService } from '../../src/engine/campaigns.js';
import { Engine } from '../../src/engine/dialer.js';
import type { StoredEvent } from '../../src/engine/events.js';
import { MemoryStore } from '../../src/engine/store/memory-store.js';
import type { Store } from '../../src/engine/store/store.js';
import type { AnsweredRoute } from '../../src/telephony/telephony.js';
import {
  MONDAY_2PM_NY,
  ManualClock,
  RecordingTelephony,
  generousLimits,
  nyZones,
} from './fixtures/harness.js';
import { redisStore, uniquePrefix } from './redis-helpers.js';

const P = '77';

class RoutingTelephony extends RecordingTelephony {
  readonly routes: { providerCallId: string; route: AnsweredRoute }[] = [];
  async routeAnswered(providerCallId: string, route: AnsweredRoute) {
    this.routes.push({ providerCallId, route });
    return true;
  }
}

type StoreKind = 'memory' | 'redis';
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

function makeStore(kind: StoreKind, clock: ManualClock): Store {
  if (kind === 'memory') return new MemoryStore(clock);
  const r = redisStore(uniquePrefix('agents-routing'));
  cleanups.push(r.cleanup);
  return r.store;
}

let kind: StoreKind = 'memory';

function setup() {
  const clock = new ManualClock(MONDAY_2PM_NY);
  const store = makeStore(kind, clock);
  const telephony = new RoutingTelephony(clock);
  const campaigns = new CampaignService({ store, clock, zones: nyZones, random: () => 0 });
  const errors: unknown[] = [];
  const engine = new Engine({
    limits: generousLimits,
    store,
    telephony,
    clock,
    campaigns,
    zones: nyZones,
    random: () => 0,
    onError: (e) => void errors.push(e),
  });
  return { clock, store, telephony, campaigns, engine, errors };
}

async function powerCampaign(s: ReturnType<typeof setup>, leads: number, wrapUpLimitSec = 120) {
  const c = await s.campaigns.create(P, {
    name: 'Power with agents',
    callerIds: ['+12125550000'],
    dialMode: { mode: 'power', linesPerAgent: 2 },
    connectTo: { type: 'agents' },
    amd: { detection: 'off', onMachine: 'hangup' },
    pace: { callsPerSecond: 10, maxConcurrentCalls: 10 },
    wrapUpLimitSec,
    retry: { strategy: 'intervals', delaysMinutes: [60], maxAttempts: 3, maxRetryDays: 7, minGapMinutes: 30 },
  });
  const rows = Array.from({ length: leads }, (_, i) => ({
    contactId: `lead-${i}`,
    phone: `+1212555${String(1000 + i)}`,
    timeZone: 'America/New_York',
  }));
  await s.campaigns.enroll(P, c.campaignId, rows);
  await s.campaigns.act(P, c.campaignId, 'start');
  return c.campaignId;
}

let seq = 0;
const status = (attemptId: string, providerCallId: string, st: CallStatus, extra = {}) =>
  ({ type: 'status', attemptId, providerCallId, status: st, sequence: seq++, at: 0, ...extra }) as CallEvent;

/** Passes with the clock moving on, so the pacer's rate window lets every allowed line out. */
async function passes(s: ReturnType<typeof setup>, n = 3) {
  for (let i = 0; i < n; i++) {
    await s.engine.pass(P);
    await ticks();
    s.clock.advance(200);
  }
}

/** Lets background work (the routing of an answered call) run until it waits on the clock again. */
const ticks = async (n = 20) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/** Background work over a real Redis needs real round trips: wait (bounded) until it has happened. */
async function until(check: () => boolean, maxMs = 5000) {
  for (const end = Date.now() + maxMs; !check() && Date.now() < end;)
    await new Promise((r) => setTimeout(r, 5));
}

describe.each(['memory', 'redis'] as const)('agents in the engine (%s store)', (k) => {
  beforeAll(() => {
    kind = k;
  });

  it('two leads answer with one idle agent: one is bridged, the other gets safe-harbor and counts as ABANDONED', async () => {
    const s = setup();
    const campaignId = await powerCampaign(s, 4);
    await s.engine.setAgentPresence(P, 'ann', {
      state: 'available',
      campaigns: [{ campaignId, priority: 1 }],
    });
    await passes(s);
    // power mode: 2 lines per idle agent
    expect(s.telephony.dials).toHaveLength(2);
    expect(s.telephony.dials.every((d) => d.flow.kind === 'agent-conference')).toBe(true);
    const [d1, d2] = s.telephony.dials.map((d, i) => ({ attemptId: d.attemptId, callId: `CA${i + 1}` }));
    await s.engine.handleCallEvent(status(d1!.attemptId, d1!.callId, 'in-progress'));
    await s.engine.handleCallEvent(status(d2!.attemptId, d2!.callId, 'in-progress'));
    await until(() => s.telephony.routes.length >= 1);
    await ticks();
    expect(s.telephony.routes).toEqual([
      { providerCallId: 'CA1', route: { kind: 'agent', agentId: 'ann', conference: `autodial-${P}-ann` } },
    ]);
    // screen pop: the agent's card shows the contact of its call
    const ann = (await s.engine.getAgent(P, 'ann'))!;
    expect(ann.state).toBe('on-call');
    expect(ann.screenPop).toMatchObject({ campaignId, contactId: 'lead-0', number: '+12125551000' });
    // nobody frees up within 2 s: safe-harbor
    s.clock.advance(2001);
    await until(() => s.telephony.routes.length >= 2);
    expect(s.telephony.routes).toHaveLength(2);
    expect(s.telephony.routes[1]!.route.kind).toBe('safe-harbor');
    const message = (s.telephony.routes[1]!.route as { message: { say: string } }).message.say;
    expect(message).toContain('Power with agents');
    expect(message).toContain('2 1 2 5 5 5 0 0 0 0');
    await s.engine.handleCallEvent(status(d1!.attemptId, d1!.callId, 'completed', { durationSec: 90 }));
    await s.engine.handleCallEvent(status(d2!.attemptId, d2!.callId, 'completed', { durationSec: 9 }));
    const finished = (await s.store.tail(P, '0', { count: 100, blockMs: 0 })).filter(
      (e: StoredEvent) => e.type === 'attempt.finished',
    ) as (StoredEvent & { type: 'attempt.finished' })[];
    const byAttempt = Object.fromEntries(finished.map((e) => [e.attemptId, e.category]));
    expect(byAttempt).toEqual({ [d1!.attemptId]: 'CONVERSATION', [d2!.attemptId]: 'ABANDONED' });
    expect(s.engine.campaignPacing(P, campaignId)?.agents.idle).toBe(1);
    await s.engine.pass(P);
    expect(s.engine.campaignPacing(P, campaignId)?.tally).toMatchObject({ answered: 2, abandoned: 1 });
    expect((await s.engine.getAgent(P, 'ann'))!.state).toBe('wrap-up');
    expect(s.errors).toEqual([]);
  });

  it('wrap-up is required: no new calls for the agent until its disposition; past the limit it is set away', async () => {
    const s = setup();
    const campaignId = await powerCampaign(s, 6, 60);
    await s.engine.setAgentPresence(P, 'ann', {
      state: 'available',
      campaigns: [{ campaignId, priority: 1 }],
    });
    await passes(s);
    const d1 = s.telephony.dials[0]!;
    const d2 = s.telephony.dials[1]!;
    await s.engine.handleCallEvent(status(d1.attemptId, 'CA1', 'in-progress'));
    await until(() => s.telephony.routes.some((r) => r.providerCallId === 'CA1'));
    await ticks();
    await s.engine.handleCallEvent(status(d2.attemptId, 'CA2', 'no-answer'));
    s.clock.advance(30_000);
    await s.engine.handleCallEvent(status(d1.attemptId, 'CA1', 'completed', { durationSec: 30 }));
    expect((await s.engine.getAgent(P, 'ann'))!.state).toBe('wrap-up');
    // the agent cannot skip its wrap-up
    expect((await s.engine.setAgentPresence(P, 'ann', { state: 'available' })).result).toBe(
      'wrap-up-pending',
    );
    const before = s.telephony.dials.length;
    await passes(s);
    expect(s.telephony.dials).toHaveLength(before);
    // the disposition frees the agent: the next lines go out
    await s.engine.wrapUp(P, d1.attemptId, { disposition: 'CONNECTED', notes: 'interested' });
    expect((await s.engine.getAgent(P, 'ann'))!.state).toBe('available');
    await passes(s);
    expect(s.telephony.dials.length).toBe(before + 2);
    // the next call's wrap-up runs past the 60 s limit: set away, attempt left not dispositioned
    const d3 = s.telephony.dials[before]!;
    await s.engine.handleCallEvent(status(d3.attemptId, 'CA3', 'in-progress'));
    await until(() => s.telephony.routes.some((r) => r.providerCallId === 'CA3'));
    await ticks();
    await s.engine.handleCallEvent(status(d3.attemptId, 'CA3', 'completed', { durationSec: 20 }));
    s.clock.advance(59_000);
    await s.engine.pass(P);
    expect((await s.engine.getAgent(P, 'ann'))!.state).toBe('wrap-up');
    s.clock.advance(2_000);
    await s.engine.pass(P);
    const ann = (await s.engine.getAgent(P, 'ann'))!;
    expect(ann.state).toBe('away');
    expect((await s.store.getAttempt(P, d3.attemptId))!.wrapUp).toBeUndefined();
    expect(s.errors).toEqual([]);
  });

  it('rejects bad presence input with the field and changes nothing', async () => {
    const s = setup();
    await expect(s.engine.setAgentPresence(P, 'ann', { state: 'on-call' })).rejects.toThrow(/presence state/);
    await expect(
      s.engine.setAgentPresence(P, 'ann', {
        state: 'available',
        campaigns: [
          { campaignId: 'a', priority: 1 },
          { campaignId: 'a', priority: 2 },
        ],
      }),
    ).rejects.toThrow(/presence campaigns/);
    expect(await s.engine.getAgent(P, 'ann')).toBeNull();
  });
});
