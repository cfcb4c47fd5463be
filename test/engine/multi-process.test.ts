/**
 * Four worker processes dial one campaign over one Redis; this test process plays the carrier (answers each
 * recorded dial after a short random time by calling handleCallEvent on its own engine, as a webhook would hit
 * any process). The crash case SIGKILLs a worker mid-run and starts another.
 */
import { describe, it, expect, afterAll } from '@jest/globals';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { CampaignService } from '../../src/engine/campaigns.js';
import { shiftedClock } from '../../src/shared/clock.js';
import { Engine } from '../../src/engine/dialer.js';
import { RedisStore } from '../../src/engine/store/redis-store.js';
import { MONDAY_2PM_NY, messageCampaign, nyZones, generousLimits } from './fixtures/harness.js';
import { REDIS_URL, connectTestRedis, deleteByPrefix, uniquePrefix } from './redis-helpers.js';

interface Dial {
  attemptId: string;
  contactId: string;
  to: string;
  at: number;
  grantedAt: number;
  pid: number;
}

const PACE = { callsPerSecond: 20, maxConcurrentCalls: 8 };
const CONTACTS = 200;
const PORTAL = '9001';
const children: ChildProcess[] = [];
/** All processes use engine time = real time + (MONDAY_2PM_NY - ANCHOR): 14:00 in New York, same offset. */
const ANCHOR = Date.now();
const sharedClock = () => shiftedClock(MONDAY_2PM_NY - ANCHOR);

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

function spawnWorker(prefix: string): ChildProcess {
  // node itself with tsx as a loader: one process per worker, so SIGKILL kills the worker, not a wrapper
  const child = spawn(
    'node_modules/.bin/node',
    ['--import', 'tsx', 'test/engine/fixtures/worker-process.ts'],
    {
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        KEY_PREFIX: prefix,
        PORTAL_ID: PORTAL,
        START_AT: String(MONDAY_2PM_NY),
        ANCHOR: String(ANCHOR),
        REDIS_URL,
        CLAIM_LEASE_MS: '2000',
        SILENCE_MS: '3000',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  children.push(child);
  return child;
}

function maxInAnyWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi]! - sorted[lo]! >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

function maxOverlap(intervals: [number, number][]): number {
  const points = intervals.flatMap(([s, e]) => [
    [s, 1],
    [e, -1],
  ]) as [number, number][];
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]); // an end at t frees before a start at t
  let live = 0;
  let best = 0;
  for (const [, d] of points) best = Math.max(best, (live += d));
  return best;
}

async function runCampaign(opts: { crashAfter?: number }) {
  const prefix = uniquePrefix('mp');
  const redis = await connectTestRedis();
  const carrierConn = await connectTestRedis();
  const clock = sharedClock();
  const store = new RedisStore({ redis, keyPrefix: prefix });
  const campaigns = new CampaignService({ store, clock, zones: nyZones, random: () => 0 });
  const carrierSide = new Engine({
    limits: generousLimits,
    store,
    telephony: { dial: async () => ({ providerCallId: 'x' }), hangup: async () => {} },
    clock,
    campaigns,
    zones: nyZones,
  });
  try {
    const c = await campaigns.create(PORTAL, messageCampaign(PACE), 'mp');
    const rows = Array.from({ length: CONTACTS }, (_, i) => ({
      contactId: `m${i}`,
      phone: `+1212555${String(1000 + i)}`,
      timeZone: 'America/New_York',
    }));
    expect((await campaigns.enroll(PORTAL, c.campaignId, rows)).enrolled).toBe(CONTACTS);

    const workers = [0, 1, 2, 3].map(() => spawnWorker(prefix));
    for (let i = 0; i < workers.length; i++) await carrierConn.blPop(`${prefix}:ready`, 30);
    await campaigns.act(PORTAL, c.campaignId, 'start');

    const dials: Dial[] = [];
    const ended = new Map<string, number>();
    const answering: Promise<void>[] = [];
    let crashed: ChildProcess | null = null;
    let killedPid = -1;
    const deadline = Date.now() + 90_000;
    let idleRounds = 0;
    while (Date.now() < deadline) {
      const popped = await carrierConn.blPop(`${prefix}:dials`, 1);
      if (!popped) {
        const states = await store.leadStates(PORTAL, c.campaignId);
        const settled = states.queued + states.dialing === 0;
        if (settled && ++idleRounds >= 2) break;
        continue;
      }
      idleRounds = 0;
      const dial = JSON.parse(popped.element) as Dial;
      dials.push(dial);
      if (opts.crashAfter !== undefined && dials.length === opts.crashAfter && !crashed) {
        crashed = workers[0]!;
        killedPid = crashed.pid!;
        crashed.kill('SIGKILL');
        spawnWorker(prefix);
      }
      // the carrier answers after 50-300 ms, with an out-of-order duplicate now and then
      const delay = 50 + Math.floor(Math.random() * 250);
      answering.push(
        new Promise<void>((resolve) => setTimeout(resolve, delay)).then(async () => {
          ended.set(dial.attemptId, clock.now());
          const base = { attemptId: dial.attemptId, providerCallId: `CA-${dial.attemptId}`, at: clock.now() };
          await carrierSide.handleCallEvent({
            ...base,
            type: 'status',
            status: 'completed',
            sequence: 3,
            durationSec: 12,
          });
          await carrierSide.handleCallEvent({ ...base, type: 'status', status: 'ringing', sequence: 1 });
        }),
      );
    }
    await Promise.all(answering);
    for (const w of children) if (w.exitCode === null && w !== crashed) w.kill('SIGTERM');

    // 1. pace: no 1000 ms window of the carrier's receive times above the pace, across all four processes.
    //    (A grant may come up to a few ms before its slot in the window and then waits for it, so the
    //    claim times alone are not the measure; what the carrier receives is.)
    expect(
      maxInAnyWindow(
        dials.map((d) => d.at),
        1000,
      ),
    ).toBeLessThanOrEqual(PACE.callsPerSecond);
    // 2. never more live calls than the cap
    expect(maxOverlap(dials.map((d) => [d.at, ended.get(d.attemptId)!]))).toBeLessThanOrEqual(
      PACE.maxConcurrentCalls,
    );
    // 3. no attempt id dialed twice; no contact with two overlapping calls
    expect(new Set(dials.map((d) => d.attemptId)).size).toBe(dials.length);
    const byContact = new Map<string, [number, number][]>();
    for (const d of dials)
      byContact.set(d.contactId, [...(byContact.get(d.contactId) ?? []), [d.at, ended.get(d.attemptId)!]]);
    for (const intervals of byContact.values()) expect(maxOverlap(intervals)).toBe(1);
    // 4. every contact ends in a known state: reached, or (crash only) waiting to retry after an attempt lost
    //    with the killed worker before it reached the carrier
    const states = await store.leadStates(PORTAL, c.campaignId);
    expect(states.queued + states.dialing).toBe(0);
    const dialedContacts = new Set(dials.map((d) => d.contactId));
    for (let i = 0; i < CONTACTS; i++) {
      const lead = (await store.getLead(PORTAL, c.campaignId, `m${i}`))!;
      if (lead.progress.state === 'reached') {
        expect(dialedContacts.has(`m${i}`)).toBe(true);
        continue;
      }
      expect(opts.crashAfter).toBeDefined();
      expect(lead.progress.state).toBe('retrying');
      expect(lead.progress.consecutiveTechnicalErrors).toBe(1);
      // its lost attempt never reached the carrier
      expect(dials.some((d) => d.attemptId === lead.progress.attemptId)).toBe(false);
    }
    expect(states.reached).toBeGreaterThanOrEqual(CONTACTS - 10);
    return { dials, killedPid, states };
  } finally {
    await deleteByPrefix(redis, prefix);
    await store.close();
    redis.destroy();
    carrierConn.destroy();
  }
}

describe('multi-process dialing over Redis', () => {
  it('4 workers hold the pace and the cap, never double-dial, and finish every contact', async () => {
    const { dials, states } = await runCampaign({});
    expect(dials).toHaveLength(CONTACTS);
    expect(states.reached).toBe(CONTACTS);
    expect(new Set(dials.map((d) => d.pid)).size).toBeGreaterThan(1);
  }, 120_000);

  it('SIGKILL of a worker mid-run: same guarantees, no attempt that reached the carrier is dialed again', async () => {
    const { dials, killedPid } = await runCampaign({ crashAfter: 60 });
    expect(killedPid).toBeGreaterThan(0);
    expect(dials.filter((d) => d.pid === killedPid).length).toBeGreaterThan(0);
    // every contact was dialed at most once: nothing that reached the carrier was redialed
    const perContact = new Map<string, number>();
    for (const d of dials) perContact.set(d.contactId, (perContact.get(d.contactId) ?? 0) + 1);
    expect(Math.max(...perContact.values())).toBe(1);
  }, 120_000);
});
