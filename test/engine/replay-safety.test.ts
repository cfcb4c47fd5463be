/**
 * Every state-changing Redis script must be safe to run twice: when a reply is lost with the connection, the
 * store re-sends the command (scripts.ts) and Redis runs the script again with the same arguments. Each case
 * below performs one store call, then sends that call's exact script command (same script, keys and
 * arguments) a second time, and checks that the second run changes no key (events included) and answers
 * exactly like the first.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { RedisStore } from '../../src/engine/store/redis-store.js';
import type { ScriptCall } from '../../src/engine/store/redis/scripts.js';
import { decodeProgress, encodeProgress } from '../../src/engine/store/codec.js';
import type { BatchClaimRequest, BatchCandidate, PaceLevel } from '../../src/engine/store/store.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { campaignRecord } from './store-contract.js';
import type { RedisClient } from '../../src/engine/store/redis/connection.js';
import { connectTestRedis, deleteByPrefix, uniquePrefix } from './redis-helpers.js';

const T0 = Date.UTC(2030, 0, 7, 15, 0, 0);
const P = '77';
const CAMPAIGN_LEVEL: PaceLevel[] = [{ name: 'campaign', callsPerSecond: 0, maxConcurrent: 0 }];

const prefix = uniquePrefix('replay');
let redis: RedisClient;
let inspector: RedisClient;
let store: RedisStore;
const scripts: { call: ScriptCall; reply: unknown }[] = [];

beforeAll(async () => {
  redis = await connectTestRedis();
  inspector = await connectTestRedis();
  store = new RedisStore({ redis, keyPrefix: prefix });
  // Record every script command the store sends (and its reply), to send the last one again.
  store.context.scripts.observer = (call, reply) => scripts.push({ call, reply });
});

afterAll(async () => {
  await deleteByPrefix(inspector, prefix);
  await store.close();
  redis.destroy();
  inspector.destroy();
});

/** Every key of this run and its content (TTLs aside), events included. */
async function snapshot(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for await (const keys of inspector.scanIterator({ MATCH: `${prefix}:*`, COUNT: 1000 })) {
    for (const key of keys) {
      const type = await inspector.type(key);
      if (type === 'hash') out[key] = await inspector.hGetAll(key);
      else if (type === 'zset') out[key] = await inspector.zRangeWithScores(key, 0, -1);
      else if (type === 'set') out[key] = (await inspector.sMembers(key)).sort();
      else if (type === 'string') out[key] = await inspector.get(key);
      else if (type === 'stream') out[key] = await inspector.xRange(key, '-', '+');
      else out[key] = type;
    }
  }
  return out;
}

/**
 * Runs `call`, then its last script command again; returns the call's result. The second run must change
 * nothing and answer like the first.
 */
async function twice<T>(call: () => Promise<T>): Promise<T> {
  const before = scripts.length;
  const result = await call();
  expect(scripts.length).toBeGreaterThan(before);
  const last = scripts[scripts.length - 1]!;
  const state = await snapshot();
  const again = await store.context.scripts.send(last.call);
  expect(again).toEqual(last.reply);
  expect(await snapshot()).toEqual(state);
  return result;
}

let seq = 0;
const id = (p: string) => `${p}${++seq}`;

async function campaign(cps = 100, cap = 1000): Promise<string> {
  const c = id('rc');
  const record = campaignRecord(P, c);
  await store.createCampaign({
    ...record,
    settings: { ...record.settings, pace: { callsPerSecond: cps, maxConcurrentCalls: cap } },
  });
  return c;
}

async function enroll(campaignId: string, contacts: string[]) {
  const rows = contacts.map((contactId) => ({
    contactId,
    e164: `+1212${String(5_000_000 + Number(contactId.replace(/\D/g, '')))}`,
    dueAt: T0,
  }));
  await store.enroll(P, campaignId, rows, [], T0);
  return rows;
}

async function candidate(campaignId: string, contactId: string, started = false): Promise<BatchCandidate> {
  const lead = (await store.getLead(P, campaignId, contactId))!;
  const attemptId = `a.${P}.${id('x')}`;
  const event: EngineEvent = {
    type: 'attempt.started',
    portalId: P,
    campaignId,
    attemptId,
    contactId,
    to: lead.e164,
    from: '+15550001000',
    attempt: 1,
    dueAt: T0,
    at: T0,
  };
  return {
    contactId,
    expectRev: lead.rev,
    attemptId,
    from: '+15550001000',
    ...(started ? { started: event } : {}),
  };
}

function batch(campaignId: string, candidates: BatchCandidate[], dial: boolean): BatchClaimRequest {
  return {
    portalId: P,
    campaignId,
    now: T0,
    candidates,
    claimLeaseUntil: T0 + 15_000,
    ...(dial ? { dialLeaseUntil: T0 + 60_000 } : {}),
    pace: CAMPAIGN_LEVEL,
    maxLive: null,
    busyRetryMs: 30_000,
    amd: false,
    earlyMs: 30,
  };
}

async function claimOne(campaignId: string, contactId: string) {
  const lead = (await store.getLead(P, campaignId, contactId))!;
  const claim = await store.claim({
    portalId: P,
    campaignId,
    contactId,
    expectRev: lead.rev,
    attemptId: `a.${P}.${id('c')}`,
    from: '+15550001000',
    now: T0,
    leaseUntil: T0 + 15_000,
    maxLive: null,
    busyRetryMs: 30_000,
    amd: false,
  });
  if (!claim.ok) throw new Error(`claim refused: ${claim.reason}`);
  return claim.attempt;
}

function finishRequest(attempt: { attemptId: string; priorLead: string }, nextAt: number | null) {
  const prior = decodeProgress(attempt.priorLead);
  return {
    portalId: P,
    attemptId: attempt.attemptId,
    now: T0 + 5000,
    lead: {
      ...prior,
      state: nextAt === null ? ('reached' as const) : ('retrying' as const),
      attempts: prior.attempts + 1,
      firstAttemptAt: T0,
      recentAttemptTimes: [T0],
      attemptId: attempt.attemptId,
    },
    nextAt,
    events: [
      {
        type: 'lead.removed' as const,
        portalId: P,
        campaignId: 'x',
        contactId: 'x',
        reason: 'UNENROLLED' as const,
        at: T0,
      },
    ],
    summary: 'replay test',
  };
}

describe('scripts run twice (a re-sent command after a lost reply)', () => {
  it('batch claim for dialing: the same grants, no second slot, no second attempt.started; denials too', async () => {
    const c = await campaign(2);
    const other = await campaign();
    const n = ++seq * 10;
    const [dnc, busy, first, second] = [`k${n}`, `k${n + 1}`, `k${n + 2}`, `k${n + 3}`];
    await enroll(c, [dnc, busy, first, second]);
    await store.addDoNotCall(P, [(await store.getLead(P, c, dnc))!.e164]);
    // the busy contact is live in another campaign
    await enroll(other, [busy]);
    await claimOne(other, busy);
    const candidates = [
      await candidate(c, dnc, true),
      await candidate(c, busy, true),
      await candidate(c, first, true),
      await candidate(c, second, true),
    ];
    const result = await twice(() => store.claimBatch(batch(c, candidates, true)));
    expect(result.granted.map((a) => a.contactId)).toEqual([first]);
    expect(result.denied).toEqual([
      { contactId: dnc, reason: 'dnc' },
      { contactId: busy, reason: 'contact-busy' },
    ]);
    expect(result.stop).toEqual({ reason: 'paced', waitMs: 500 });
    const started = (await store.tail(P, '0', { count: 1000, blockMs: 0 })).filter(
      (e) => e.type === 'attempt.started' && e.attemptId === result.granted[0]!.attemptId,
    );
    expect(started).toHaveLength(1);
  });

  it('batch claim of a grant ahead of its slot answers the same not-before time', async () => {
    const c = await campaign(1);
    const n = ++seq * 10;
    await enroll(c, [`k${n}`, `k${n + 1}`]);
    const first = await store.claimBatch(batch(c, [await candidate(c, `k${n}`)], true));
    const sent = first.granted[0]!;
    await store.noteDispatched(P, sent.attemptId, sent.levels, T0);
    // one call per second: the next one is granted 20 ms before its place in the rate window
    const later = { ...batch(c, [await candidate(c, `k${n + 1}`)], true), now: T0 + 1000 };
    const result = await twice(() => store.claimBatch(later));
    expect(result.granted[0]!.notBefore).toBeGreaterThan(T0 + 1000);
  });

  it('batch claim without dialing (claims only)', async () => {
    const c = await campaign(100_000);
    const n = ++seq * 10;
    await enroll(c, [`k${n}`, `k${n + 1}`]);
    const candidates = [await candidate(c, `k${n}`), await candidate(c, `k${n + 1}`)];
    const result = await twice(() => store.claimBatch(batch(c, candidates, false)));
    expect(result.granted.map((a) => a.state)).toEqual(['claimed', 'claimed']);
  });

  it('single claim with pace levels, and a claim that blocks a removed contact', async () => {
    const c = await campaign(5);
    const n = ++seq * 10;
    await enroll(c, [`k${n}`, `k${n + 1}`]);
    const lead = (await store.getLead(P, c, `k${n}`))!;
    const base = {
      portalId: P,
      campaignId: c,
      from: '+15550001000',
      now: T0,
      leaseUntil: T0 + 15_000,
      maxLive: null,
      busyRetryMs: 30_000,
      amd: false,
    };
    const granted = await twice(() =>
      store.claim({
        ...base,
        contactId: `k${n}`,
        expectRev: lead.rev,
        attemptId: `a.${P}.${id('s')}`,
        pace: CAMPAIGN_LEVEL,
      }),
    );
    expect(granted.ok).toBe(true);
    await store.removeContact(P, `k${n + 1}`);
    const removed = await twice(() =>
      store.claim({ ...base, contactId: `k${n + 1}`, expectRev: '', attemptId: `a.${P}.${id('s')}` }),
    );
    expect(removed).toEqual({ ok: false, reason: 'removed' });
  });

  it('dial request of a preview claim (pace taken, event appended once) and of a claim with levels', async () => {
    const c = await campaign(5);
    const n = ++seq * 10;
    await enroll(c, [`k${n}`]);
    const claimed = await claimOne(c, `k${n}`);
    const event: EngineEvent = {
      type: 'attempt.started',
      portalId: P,
      campaignId: c,
      attemptId: claimed.attemptId,
      contactId: `k${n}`,
      to: claimed.to,
      from: claimed.from,
      attempt: 1,
      dueAt: T0,
      at: T0 + 10,
    };
    const marked = await twice(() =>
      store.markDialRequested(P, claimed.attemptId, T0 + 10, T0 + 60_000, [event], CAMPAIGN_LEVEL),
    );
    expect(marked).toEqual({ ok: true });

    await enroll(c, [`k${n + 1}`]);
    const claims = await store.claimBatch({
      ...batch(c, [await candidate(c, `k${n + 1}`)], false),
      now: T0 + 500,
    });
    const withLevels = claims.granted[0]!;
    const again = await twice(() =>
      store.markDialRequested(P, withLevels.attemptId, T0 + 600, T0 + 60_000, []),
    );
    expect(again).toEqual({ ok: true });
  });

  it('dialed, call progress and finish', async () => {
    const c = await campaign();
    const n = ++seq * 10;
    await enroll(c, [`k${n}`]);
    const [attempt] = (await store.claimBatch(batch(c, [await candidate(c, `k${n}`, true)], true))).granted;
    const a = attempt!;
    expect(await twice(() => store.markDialed(P, a.attemptId, 'CA1'))).toBe(true);
    const status: EngineEvent = {
      type: 'attempt.status',
      portalId: P,
      campaignId: c,
      attemptId: a.attemptId,
      contactId: a.contactId,
      status: 'ringing',
      at: T0 + 100,
    };
    const saved = await twice(() =>
      store.saveProgress(P, a.attemptId, 0, '{"status":"ringing"}', T0 + 90_000, [status], a.levels),
    );
    expect(saved).toBe(true);
    const fresh = (await store.getAttempt(P, a.attemptId))!;
    expect(
      await twice(() => store.finishAttempt({ ...finishRequest(fresh, T0 + 60_000), attempt: fresh })),
    ).toBe('finished');
    // a different finish of the finished attempt is still refused
    expect(await store.finishAttempt(finishRequest(fresh, null))).toBe('already-finished');
  });

  it('a finish that also saves the final progress (one round trip)', async () => {
    const c = await campaign();
    const n = ++seq * 10;
    await enroll(c, [`k${n}`]);
    const [attempt] = (await store.claimBatch(batch(c, [await candidate(c, `k${n}`, true)], true))).granted;
    const a = attempt!;
    const folded = {
      ...finishRequest(a, null),
      progress: '{"status":"completed"}',
      expectRev: 0,
      attempt: a,
    };
    expect(await twice(() => store.finishAttempt(folded))).toBe('finished');
    expect(await store.getAttempt(P, a.attemptId)).toMatchObject({
      rev: 1,
      progress: '{"status":"completed"}',
    });
  });

  it('requeue of a claim', async () => {
    const c = await campaign();
    const n = ++seq * 10;
    await enroll(c, [`k${n}`]);
    const claimed = await claimOne(c, `k${n}`);
    expect(await twice(() => store.requeueClaimed(P, claimed.attemptId, T0 + 100, T0 + 100))).toBe(true);
    expect(await store.getAttempt(P, claimed.attemptId)).toBeNull();
    expect((await store.getLead(P, c, `k${n}`))!.dueAt).toBe(T0 + 100);
  });

  it('enrollment answers the same enrolled and skipped contacts', async () => {
    const c = await campaign();
    const n = ++seq * 10;
    await enroll(c, [`k${n}`]);
    const taken = (await store.getLead(P, c, `k${n}`))!.e164;
    const result = await twice(() =>
      store.enroll(
        P,
        c,
        [
          { contactId: `k${n + 1}`, e164: `+1212${5_100_000 + n}`, dueAt: T0 },
          { contactId: `k${n + 2}`, e164: taken, dueAt: T0 },
        ],
        [{ contactId: `k${n + 3}`, reason: 'INVALID_NUMBER' }],
        T0,
      ),
    );
    expect(result).toEqual({
      enrolled: [`k${n + 1}`],
      skipped: [
        { contactId: `k${n + 2}`, reason: 'DUPLICATE' },
        { contactId: `k${n + 3}`, reason: 'INVALID_NUMBER' },
      ],
    });
  });

  it('campaign create and save', async () => {
    const c = id('rc');
    expect(await twice(() => store.createCampaign(campaignRecord(P, c)))).toBe(true);
    const read = (await store.getCampaign(P, c))!;
    expect(await twice(() => store.saveCampaign({ ...read, status: 'paused', version: 2 }))).toBe(true);
    // a stale writer is still refused
    expect(await store.saveCampaign({ ...read, version: 2 })).toBe(false);
  });

  it('lead compare-and-set: reschedule, unenroll', async () => {
    const c = await campaign();
    const n = ++seq * 10;
    await enroll(c, [`k${n}`, `k${n + 1}`]);
    const lead = (await store.getLead(P, c, `k${n}`))!;
    expect(await twice(() => store.reschedule(P, c, `k${n}`, lead.rev, T0 + 3600_000))).toBe(true);
    expect(await twice(() => store.unenroll(P, c, `k${n + 1}`, T0))).toBe(true);
    const lead2 = (await store.getLead(P, c, `k${n}`))!;
    const failed = encodeProgress({ ...lead2.progress, state: 'failed' });
    expect(failed).not.toBe(lead2.rev);
    expect(
      await twice(() =>
        store.reschedule(P, c, `k${n}`, lead2.rev, null, 'failed', [
          {
            type: 'lead.removed',
            portalId: P,
            campaignId: c,
            contactId: `k${n}`,
            reason: 'NO_CALLABLE_TIME',
            at: T0,
          },
        ]),
      ),
    ).toBe(true);
  });

  it("a rep's wrap-up, before and after the final status", async () => {
    const c = await campaign(100_000);
    const n = ++seq * 10;
    await enroll(c, [`k${n}`, `k${n + 1}`]);
    const [a, b] = (
      await store.claimBatch(batch(c, [await candidate(c, `k${n}`), await candidate(c, `k${n + 1}`)], true))
    ).granted;
    const pending = await twice(() =>
      store.wrapUpAttempt({ mode: 'pending', portalId: P, attemptId: a!.attemptId, wrapUp: '{"notes":"x"}' }),
    );
    expect(pending).toBe('saved');
    expect(await store.finishAttempt(finishRequest(b!, null))).toBe('finished');
    const lead = (await store.getLead(P, c, `k${n + 1}`))!;
    const applied = await twice(() =>
      store.wrapUpAttempt({
        mode: 'apply',
        portalId: P,
        attemptId: b!.attemptId,
        wrapUp: '{"doNotCall":true}',
        campaignId: c,
        contactId: `k${n + 1}`,
        expectRev: lead.rev,
        lead: { ...lead.progress, state: 'dnc' },
        dueAt: null,
        dncNumber: b!.to,
        events: [],
      }),
    );
    expect(applied).toBe('applied');
  });
});
