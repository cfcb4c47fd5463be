/**
 * The batch claim and the carrier-side rate window, on both stores: one call claims several due leads (each as
 * atomic as a single claim), writes them dial-requested, and stops at the pacer; a dispatch time noted later
 * moves the call's place in the rate window so the carrier never sees more than the pace in any window.
 */
import { describe, it, expect, afterAll } from '@jest/globals';
import fc from 'fast-check';
import { MemoryStore } from '../../src/engine/store/memory-store.js';
import type { BatchCandidate, PaceLevel, Store } from '../../src/engine/store/store.js';
import { campaignRecord } from './store-contract.js';
import { redisStore, uniquePrefix } from './redis-helpers.js';

const T0 = Date.UTC(2030, 0, 7, 15, 0, 0);
const CAMPAIGN_LEVEL: PaceLevel[] = [{ name: 'campaign', callsPerSecond: 0, maxConcurrent: 0 }];

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

function makers(): [string, () => Store][] {
  return [
    ['memory', () => new MemoryStore()],
    [
      'redis',
      () => {
        const h = redisStore(uniquePrefix('batch'));
        cleanups.push(h.cleanup);
        return h.store;
      },
    ],
  ];
}

let seq = 0;

async function campaignWith(store: Store, portal: string, n: number, cps: number, cap = 1000) {
  const id = `b${++seq}`;
  const record = campaignRecord(portal, id);
  // past the schema's limit on purpose: the store, not the settings form, is under test
  await store.createCampaign({
    ...record,
    settings: { ...record.settings, pace: { callsPerSecond: cps, maxConcurrentCalls: cap } },
  });
  const rows = Array.from({ length: n }, (_, i) => ({
    contactId: `${id}-k${i}`,
    e164: `+1212${String(7_000_000 + seq * 1000 + i)}`,
    dueAt: T0,
  }));
  await store.enroll(portal, id, rows, [], T0);
  return id;
}

async function candidates(store: Store, portal: string, campaignId: string, now: number) {
  const due = await store.peekDue(portal, campaignId, now, 100);
  return due.map((lead): BatchCandidate => ({
    contactId: lead.contactId,
    expectRev: lead.rev,
    attemptId: `a.${portal}.${++seq}`,
    from: '+15550001000',
  }));
}

describe.each(makers())('batch claim (%s store)', (_name, make) => {
  it('claims many at a fast pace, dial-requested, each contact once, and stops at the pacer', async () => {
    const store = make();
    const portal = `bp${++seq}`;
    const fast = await campaignWith(store, portal, 40, 1_000_000);
    const batch = await candidates(store, portal, fast, T0);
    const req = {
      portalId: portal,
      campaignId: fast,
      now: T0,
      candidates: batch,
      claimLeaseUntil: T0 + 15_000,
      dialLeaseUntil: T0 + 60_000,
      pace: CAMPAIGN_LEVEL,
      maxLive: null,
      busyRetryMs: 30_000,
      amd: false,
    };
    const result = await store.claimBatch(req);
    // a very fast pace is not held to one grant per millisecond
    expect(result.granted).toHaveLength(40);
    expect(result.stop).toBeUndefined();
    const attempt = (await store.getAttempt(portal, result.granted[0]!.attemptId))!;
    expect(attempt).toMatchObject({ state: 'dial-requested', dialRequestedAt: T0, leaseUntil: T0 + 60_000 });
    // the same candidates again: nothing is claimed twice
    const again = await store.claimBatch({
      ...req,
      candidates: batch.map((c) => ({ ...c, attemptId: `${c.attemptId}x` })),
    });
    expect(again.granted).toHaveLength(0);
    expect(again.denied.every((d) => d.reason === 'not-due' || d.reason === 'changed')).toBe(true);

    const slow = await campaignWith(store, portal, 5, 10);
    const paced = await store.claimBatch({
      ...req,
      campaignId: slow,
      candidates: await candidates(store, portal, slow, T0),
    });
    expect(paced.granted).toHaveLength(1);
    expect(paced.stop).toEqual({ reason: 'paced', waitMs: 100 });
    // the leads behind the stop are untouched, still due
    expect(await store.peekDue(portal, slow, T0, 10)).toHaveLength(4);
    await store.close();
  });

  it('property: with dispatch times noted, no 1000 ms window of dispatch times holds more than ceil(cps)', async () => {
    const store = make();
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          cps: fc.integer({ min: 1, max: 8 }),
          steps: fc.array(
            fc.record({ dt: fc.integer({ min: 0, max: 300 }), delay: fc.integer({ min: 0, max: 400 }) }),
            { minLength: 5, maxLength: 40 },
          ),
        }),
        async ({ cps, steps }) => {
          const portal = `bq${++seq}`;
          const c = await campaignWith(store, portal, steps.length, cps);
          let now = T0;
          const dispatched: number[] = [];
          for (const step of steps) {
            now += step.dt;
            const result = await store.claimBatch({
              portalId: portal,
              campaignId: c,
              now,
              candidates: (await candidates(store, portal, c, now)).slice(0, 3),
              claimLeaseUntil: now + 15_000,
              dialLeaseUntil: now + 60_000,
              pace: CAMPAIGN_LEVEL,
              maxLive: null,
              busyRetryMs: 30_000,
              amd: false,
              earlyMs: 30,
            });
            for (const a of result.granted) {
              // granted ahead of its slot, it waits for it; then reaches the carrier some time later
              expect(a.notBefore ?? now).toBeLessThanOrEqual(now + 30);
              const at = (a.notBefore ?? now) + step.delay;
              await store.noteDispatched(portal, a.attemptId, a.levels, at);
              dispatched.push(at);
            }
          }
          const sorted = dispatched.sort((a, b) => a - b);
          for (let i = 0; i < sorted.length; i++) {
            const inWindow = sorted.filter((t) => t >= sorted[i]! && t < sorted[i]! + 1000).length;
            expect(inWindow).toBeLessThanOrEqual(cps);
          }
        },
      ),
      { numRuns: 25 },
    );
    await store.close();
  });
});
