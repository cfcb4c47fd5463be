/**
 * One contract for every Store adapter: the memory store and the Redis store must behave identically.
 * Time is passed explicitly (`now`), so every time-based case is deterministic.
 */
import { describe, it, expect, beforeEach, afterAll } from '@jest/globals';
import fc from 'fast-check';
import { CampaignSettingsSchema } from '../../src/domain/settings.js';
import type { CampaignSettingsInput } from '../../src/domain/settings.js';
import { decodeProgress, encodeProgress } from '../../src/engine/store/codec.js';
import type {
  BatchCandidate,
  CampaignRecord,
  ClaimRequest,
  NumberLimits,
  PaceLevel,
  Store,
} from '../../src/engine/store/store.js';
import type { StoredEvent } from '../../src/engine/events.js';

const cid = (e: StoredEvent) => ('contactId' in e ? e.contactId : '');
import { GUARD_MS, WINDOW_MS, windowCap } from '../../src/engine/pacer.js';

export interface StoreHarness {
  store: Store;
  /** A portal id unique to this test run. */
  portalId: string;
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2030, 0, 7, 15, 0, 0); // fixed, deterministic engine time

export function campaignRecord(
  portalId: string,
  campaignId: string,
  overrides: Partial<CampaignSettingsInput> = {},
): CampaignRecord {
  const settings = CampaignSettingsSchema.parse({
    name: `Campaign ${campaignId}`,
    callerIds: ['+15550001000'],
    dialMode: { mode: 'message' },
    message: { say: 'Hello' },
    pace: { callsPerSecond: 100, maxConcurrentCalls: 1000 },
    ...overrides,
  });
  return { portalId, campaignId, settings, status: 'active', version: 1, createdAt: T0, updatedAt: T0 };
}

export function storeContract(name: string, makeHarness: () => Promise<StoreHarness>): void {
  describe(`Store contract: ${name}`, () => {
    let h: StoreHarness;
    let store: Store;
    let portal: string;
    const harnesses: StoreHarness[] = [];
    let seq = 0;
    const nextId = (p: string) => `${p}${++seq}`;

    beforeEach(async () => {
      h = await makeHarness();
      harnesses.push(h);
      store = h.store;
      portal = h.portalId;
    });

    afterAll(async () => {
      for (const x of harnesses) await x.cleanup();
    });

    async function activeCampaign(overrides: Partial<CampaignSettingsInput> = {}) {
      const id = nextId('camp');
      expect(await store.createCampaign(campaignRecord(portal, id, overrides))).toBe(true);
      return id;
    }

    async function enrollN(campaignId: string, n: number, dueAt = T0, offset = 0) {
      const rows = Array.from({ length: n }, (_, i) => ({
        contactId: `k${i + offset}`,
        e164: `+1212${String(5551000 + i + offset).padStart(7, '0')}`,
        zone: 'America/New_York',
        dueAt,
      }));
      await store.enroll(portal, campaignId, rows, [], dueAt);
      return rows;
    }

    function claimReq(campaignId: string, contactId: string, rev: string, extra: Partial<ClaimRequest> = {}) {
      return {
        portalId: portal,
        campaignId,
        contactId,
        expectRev: rev,
        attemptId: nextId('att'),
        from: '+15550001000',
        now: T0,
        leaseUntil: T0 + 60_000,
        maxLive: null,
        busyRetryMs: 30_000,
        amd: false,
        ...extra,
      } satisfies ClaimRequest;
    }

    async function claimFirst(campaignId: string, extra: Partial<ClaimRequest> = {}) {
      const now = extra.now ?? T0;
      const [lead] = await store.peekDue(portal, campaignId, now, 1);
      if (!lead) throw new Error('nothing due');
      return store.claim(claimReq(campaignId, lead.contactId, lead.rev, extra));
    }

    async function finish(attemptId: string, now: number, nextAt: number | null = null) {
      const attempt = (await store.getAttempt(portal, attemptId))!;
      const prior = decodeProgress(attempt.priorLead);
      return store.finishAttempt({
        portalId: portal,
        attemptId,
        now,
        lead: {
          ...prior,
          state: nextAt === null ? 'reached' : 'retrying',
          attempts: prior.attempts + 1,
          firstAttemptAt: prior.firstAttemptAt ?? now,
          recentAttemptTimes: [...prior.recentAttemptTimes, now],
          attemptId,
        },
        nextAt,
        events: [],
        summary: 'test',
      });
    }

    const PACE_ALL: PaceLevel[] = [
      { name: 'campaign', callsPerSecond: 0, maxConcurrent: 0 },
      { name: 'acct', callsPerSecond: 100, maxConcurrent: 100 },
    ];

    /** The auto-dial path: one batch claim written straight as dial-requested. */
    async function dialBatch(
      campaignId: string,
      contactId: string,
      now: number,
      numberLimits?: NumberLimits,
    ) {
      const lead = (await store.getLead(portal, campaignId, contactId))!;
      return store.claimBatch({
        portalId: portal,
        campaignId,
        now,
        candidates: [
          {
            contactId,
            expectRev: lead.rev,
            attemptId: nextId('att'),
            from: '+15550001000',
            ...(numberLimits ? { numberLimits } : {}),
          },
        ],
        claimLeaseUntil: now + 15_000,
        dialLeaseUntil: now + 60_000,
        maxLive: null,
        busyRetryMs: 30_000,
        amd: false,
      });
    }

    describe('campaigns', () => {
      it('refuses a batch claim made under a settings version that is no longer current (and claims nothing)', async () => {
        const id = await activeCampaign();
        await enrollN(id, 1);
        const v1 = (await store.getCampaign(portal, id))!;
        // pause, edit, resume between the pre-dial check and the claim: the checks used version 1
        expect(await store.saveCampaign({ ...v1, status: 'paused', version: v1.version + 1 })).toBe(true);
        expect(await store.saveCampaign({ ...v1, status: 'active', version: v1.version + 2 })).toBe(true);
        const [lead] = await store.peekDue(portal, id, T0, 1);
        const request = {
          portalId: portal,
          campaignId: id,
          now: T0,
          candidates: [
            {
              contactId: lead!.contactId,
              expectRev: lead!.rev,
              attemptId: nextId('att'),
              from: '+15550001000',
            },
          ],
          claimLeaseUntil: T0 + 15_000,
          dialLeaseUntil: T0 + 60_000,
          maxLive: null,
          busyRetryMs: 30_000,
          amd: false,
        };
        const stale = await store.claimBatch({ ...request, campaignVersion: v1.version });
        expect(stale.granted).toEqual([]);
        expect(stale.stop?.reason).toBe('settings-changed');
        expect(await store.getAttempt(portal, request.candidates[0]!.attemptId)).toBeNull();
        expect((await store.peekDue(portal, id, T0, 1)).map((l) => l.contactId)).toEqual([lead!.contactId]);
        const current = (await store.getCampaign(portal, id))!.version;
        const fresh = await store.claimBatch({
          ...request,
          candidates: [{ ...request.candidates[0]!, attemptId: nextId('att') }],
          campaignVersion: current,
        });
        expect(fresh.granted.map((a) => a.contactId)).toEqual([lead!.contactId]);
      });

      it('creates once and saves only over the version it read', async () => {
        const id = await activeCampaign();
        expect(await store.createCampaign(campaignRecord(portal, id))).toBe(false);
        const read = (await store.getCampaign(portal, id))!;
        expect(read.version).toBe(1);
        expect(read.settings.name).toBe(`Campaign ${id}`);
        const paused = { ...read, status: 'paused' as const, version: 2 };
        expect(await store.saveCampaign(paused)).toBe(true);
        expect(await store.saveCampaign({ ...read, version: 2 })).toBe(false); // stale writer
        expect((await store.getCampaign(portal, id))!.status).toBe('paused');
        expect((await store.listCampaigns(portal)).map((c) => c.campaignId)).toContain(id);
      });
    });

    describe('enrollment', () => {
      it('is idempotent, dedupes by number, and records each skip once with its reason', async () => {
        const c = await activeCampaign();
        await store.addDoNotCall(portal, ['+12125559999']);
        const rows = [
          { contactId: 'a', e164: '+12125550001', dueAt: T0 },
          { contactId: 'b', e164: '+12125550002', dueAt: T0 },
          { contactId: 'dup', e164: '+12125550001', dueAt: T0 }, // same number as a
          { contactId: 'dnc', e164: '+12125559999', dueAt: T0 },
        ];
        const skipped = [{ contactId: 'bad', reason: 'INVALID_NUMBER' as const }];
        const first = await store.enroll(portal, c, rows, skipped, T0);
        expect(first.enrolled.sort()).toEqual(['a', 'b']);
        expect(first.skipped).toEqual(
          expect.arrayContaining([
            { contactId: 'dup', reason: 'DUPLICATE' },
            { contactId: 'dnc', reason: 'DNC' },
            { contactId: 'bad', reason: 'INVALID_NUMBER' },
          ]),
        );
        const again = await store.enroll(portal, c, rows, skipped, T0 + 5000);
        expect(again).toEqual({ enrolled: [], skipped: [] });
        expect(await store.enrollmentCounts(portal, c)).toEqual({
          enrolled: 2,
          INVALID_NUMBER: 1,
          DUPLICATE: 1,
          DNC: 1,
          NO_CALLABLE_TIME: 0,
          MISSING_NUMBER: 0,
        });
        expect((await store.skippedContacts(portal, c)).length).toBe(3);
        // re-enrolling did not move the due time
        expect((await store.getLead(portal, c, 'a'))!.dueAt).toBe(T0);
        const states = await store.leadStates(portal, c);
        expect(states.queued).toBe(2);
      });
    });

    describe('claim', () => {
      it('only due leads are claimable, and a changed lead is not claimed', async () => {
        const c = await activeCampaign();
        await enrollN(c, 1, T0 + 10_000);
        expect(await store.peekDue(portal, c, T0, 10)).toEqual([]);
        expect(await store.nextDueAt(portal, c)).toBe(T0 + 10_000);
        const lead = (await store.getLead(portal, c, 'k0'))!;
        expect((await store.claim(claimReq(c, 'k0', lead.rev))).ok).toBe(false);
        const later = await store.claim(claimReq(c, 'k0', 'r|1||0||x', { now: T0 + 10_000 }));
        expect(later).toEqual({ ok: false, reason: 'changed' });
      });

      it('many concurrent claimers never get the same contact', async () => {
        const c = await activeCampaign();
        await enrollN(c, 10);
        const leads = await store.peekDue(portal, c, T0, 100);
        // 40 claimers race for 10 leads, 4 per lead
        const results = await Promise.all(
          leads.flatMap((l) => [0, 1, 2, 3].map(() => store.claim(claimReq(c, l.contactId, l.rev)))),
        );
        const winners = results.filter((r) => r.ok).map((r) => (r.ok ? r.attempt.contactId : ''));
        expect(winners.sort()).toEqual(leads.map((l) => l.contactId).sort());
        expect(await store.peekDue(portal, c, T0, 100)).toEqual([]);
      });

      it('a paused campaign is not dialed', async () => {
        const c = await activeCampaign();
        await enrollN(c, 1);
        const rec = (await store.getCampaign(portal, c))!;
        await store.saveCampaign({ ...rec, status: 'paused', version: rec.version + 1 });
        expect(await claimFirst(c)).toEqual({ ok: false, reason: 'inactive' });
      });

      it('one live attempt per contact across campaigns (by contact id and by number)', async () => {
        const a = await activeCampaign();
        const b = await activeCampaign();
        await store.enroll(portal, a, [{ contactId: 'x', e164: '+12125550100', dueAt: T0 }], [], T0);
        await store.enroll(portal, b, [{ contactId: 'x', e164: '+12125550100', dueAt: T0 }], [], T0);
        const other = await activeCampaign();
        await store.enroll(portal, other, [{ contactId: 'y', e164: '+12125550100', dueAt: T0 }], [], T0);
        const first = await claimFirst(a);
        expect(first.ok).toBe(true);
        expect(await claimFirst(b)).toEqual({ ok: false, reason: 'contact-busy', waitMs: 30_000 });
        expect((await store.getLead(portal, b, 'x'))!.dueAt).toBe(T0 + 30_000);
        expect((await claimFirst(other, { now: T0 })).ok).toBe(false);
        if (!first.ok) return;
        await finish(first.attempt.attemptId, T0 + 1000);
        expect((await claimFirst(b, { now: T0 + 30_000 })).ok).toBe(true);
      });

      it('DNC and removal take effect before the next dial, in every campaign', async () => {
        const a = await activeCampaign();
        const b = await activeCampaign();
        await enrollN(a, 2);
        await enrollN(b, 2);
        await store.addDoNotCall(portal, ['+12125551000']); // k0's number
        await store.removeContact(portal, 'k1');
        for (const c of [a, b]) {
          const k0 = (await store.getLead(portal, c, 'k0'))!;
          const k1 = (await store.getLead(portal, c, 'k1'))!;
          expect(await store.claim(claimReq(c, 'k0', k0.rev))).toEqual({ ok: false, reason: 'dnc' });
          expect(await store.claim(claimReq(c, 'k1', k1.rev))).toEqual({ ok: false, reason: 'removed' });
          expect((await store.getLead(portal, c, 'k0'))!.progress.state).toBe('dnc');
          expect((await store.getLead(portal, c, 'k1'))!.progress.state).toBe('removed');
          expect(await store.peekDue(portal, c, T0, 10)).toEqual([]);
        }
        expect(await store.isDoNotCall(portal, '+12125551000')).toBe(true);
      });

      it('unenrolling takes a lead out of the queue; a live attempt then does not requeue it', async () => {
        const c = await activeCampaign();
        await enrollN(c, 2);
        expect(await store.unenroll(portal, c, 'k1', T0)).toBe(true);
        expect(await store.unenroll(portal, c, 'k1', T0)).toBe(false);
        const claimed = await claimFirst(c);
        expect(claimed.ok && claimed.attempt.contactId).toBe('k0');
        await store.unenroll(portal, c, 'k0', T0 + 1);
        if (!claimed.ok) return;
        await finish(claimed.attempt.attemptId, T0 + 2, T0 + 60_000);
        expect((await store.getLead(portal, c, 'k0'))!.progress.state).toBe('removed');
        expect(await store.nextDueAt(portal, c)).toBeNull();
      });
    });

    describe('crash recovery', () => {
      it('a claimed attempt whose lease expired is requeued as if never claimed', async () => {
        const c = await activeCampaign();
        await enrollN(c, 1);
        const before = (await store.getLead(portal, c, 'k0'))!;
        const claimed = await claimFirst(c, { leaseUntil: T0 + 10_000 });
        if (!claimed.ok) throw new Error('claim failed');
        expect(await store.expiredAttempts(portal, T0 + 9_999, 10)).toEqual([]);
        expect(await store.nextLeaseExpiry(portal)).toBe(T0 + 10_000);
        expect(await store.expiredAttempts(portal, T0 + 10_000, 10)).toEqual([claimed.attempt.attemptId]);
        expect(await store.requeueClaimed(portal, claimed.attempt.attemptId, T0 + 10_000, T0 + 10_000)).toBe(
          true,
        );
        const after = (await store.getLead(portal, c, 'k0'))!;
        expect(after.rev).toBe(before.rev);
        expect(after.dueAt).toBe(T0 + 10_000);
        expect(await store.getAttempt(portal, claimed.attempt.attemptId)).toBeNull();
        // the old worker waking up cannot dial any more
        const late = await store.markDialRequested(
          portal,
          claimed.attempt.attemptId,
          T0 + 10_001,
          T0 + 99_000,
          [],
        );
        expect(late).toEqual({ ok: false, reason: 'not-claimed' });
        expect((await claimFirst(c, { now: T0 + 10_000 })).ok).toBe(true);
      });

      it('a dial-requested attempt is never requeued (never dialed again), only finished', async () => {
        const c = await activeCampaign();
        await enrollN(c, 1);
        const claimed = await claimFirst(c, { leaseUntil: T0 + 10_000 });
        if (!claimed.ok) throw new Error('claim failed');
        const id = claimed.attempt.attemptId;
        expect(await store.markDialRequested(portal, id, T0 + 1, T0 + 20_000, [])).toEqual({ ok: true });
        expect(await store.markDialRequested(portal, id, T0 + 2, T0 + 20_000, [])).toEqual({
          ok: false,
          reason: 'not-claimed',
        });
        expect(await store.requeueClaimed(portal, id, T0 + 20_000, T0 + 20_000)).toBe(false);
        expect(await store.expiredAttempts(portal, T0 + 19_999, 10)).toEqual([]);
        expect(await store.expiredAttempts(portal, T0 + 20_000, 10)).toEqual([id]);
        expect(await store.markDialed(portal, id, 'CA1')).toBe(true);
        expect((await store.getAttempt(portal, id))!).toMatchObject({
          state: 'dialed',
          providerCallId: 'CA1',
        });
        expect(await store.peekDue(portal, c, T0 + 20_000, 10)).toEqual([]);
      });

      it('finishing is atomic and idempotent: lock, slot, lease released once, lead requeued once', async () => {
        const c = await activeCampaign();
        await enrollN(c, 1);
        const pace: PaceLevel[] = [{ name: 'campaign', callsPerSecond: 0, maxConcurrent: 0 }];
        const claimed = await claimFirst(c, { pace });
        if (!claimed.ok) throw new Error('claim failed');
        const id = claimed.attempt.attemptId;
        await store.markDialRequested(portal, id, T0, T0 + 60_000, []);
        expect(await store.liveCount(portal, `c:${c}`, T0)).toBe(1);
        expect(await finish(id, T0 + 5000, T0 + 3_600_000)).toBe('finished');
        expect(await finish(id, T0 + 6000, T0 + 7_200_000)).toBe('already-finished');
        const missing = await store.finishAttempt({
          portalId: portal,
          attemptId: 'nope',
          now: T0,
          lead: decodeProgress(''),
          nextAt: null,
          events: [],
          summary: 'test',
        });
        expect(missing).toBe('missing');
        const lead = (await store.getLead(portal, c, 'k0'))!;
        expect(lead.dueAt).toBe(T0 + 3_600_000);
        expect(lead.progress).toMatchObject({ state: 'retrying', attempts: 1 });
        expect(await store.liveCount(portal, `c:${c}`, T0 + 5000)).toBe(0);
        expect(await store.expiredAttempts(portal, T0 + 10_000_000, 10)).toEqual([]);
        expect((await store.getAttempt(portal, id))!.state).toBe('finished');
      });

      it('call progress is compare-and-set and extends the lease', async () => {
        const c = await activeCampaign();
        await enrollN(c, 1);
        const claimed = await claimFirst(c, { leaseUntil: T0 + 1000 });
        if (!claimed.ok) throw new Error('claim failed');
        const id = claimed.attempt.attemptId;
        await store.markDialRequested(portal, id, T0, T0 + 2000, []);
        expect(await store.saveProgress(portal, id, 0, '{"status":"ringing"}', T0 + 50_000, [])).toBe(true);
        expect(await store.saveProgress(portal, id, 0, '{"status":"queued"}', T0 + 50_000, [])).toBe(false);
        const a = (await store.getAttempt(portal, id))!;
        expect(a).toMatchObject({ rev: 1, progress: '{"status":"ringing"}', leaseUntil: T0 + 50_000 });
        expect(await store.expiredAttempts(portal, T0 + 49_999, 10)).toEqual([]);
      });
    });

    describe('pacer', () => {
      it('spaces grants by 1/cps at the campaign level and never exceeds ceil(cps) per second', async () => {
        const c = await activeCampaign({ pace: { callsPerSecond: 2, maxConcurrentCalls: 100 } });
        await enrollN(c, 10);
        const pace: PaceLevel[] = [{ name: 'campaign', callsPerSecond: 0, maxConcurrent: 0 }];
        expect((await claimFirst(c, { pace, now: T0 })).ok).toBe(true);
        expect(await claimFirst(c, { pace, now: T0 + 100 })).toEqual({
          ok: false,
          reason: 'paced',
          waitMs: 400,
        });
        expect((await claimFirst(c, { pace, now: T0 + 500 })).ok).toBe(true);
        // the third call keeps a full window plus the guard band from the first
        expect((await claimFirst(c, { pace, now: T0 + 1000 + GUARD_MS - 1 })).ok).toBe(false);
        expect((await claimFirst(c, { pace, now: T0 + 1000 + GUARD_MS })).ok).toBe(true);
      });

      it('a pace change applies to the next grant', async () => {
        const c = await activeCampaign({ pace: { callsPerSecond: 1, maxConcurrentCalls: 100 } });
        await enrollN(c, 10);
        const pace: PaceLevel[] = [{ name: 'campaign', callsPerSecond: 0, maxConcurrent: 0 }];
        expect((await claimFirst(c, { pace, now: T0 })).ok).toBe(true);
        expect((await claimFirst(c, { pace, now: T0 + 200 })).ok).toBe(false);
        const rec = (await store.getCampaign(portal, c))!;
        const faster = { ...rec.settings, pace: { callsPerSecond: 10, maxConcurrentCalls: 100 } };
        expect(await store.saveCampaign({ ...rec, settings: faster, version: rec.version + 1 })).toBe(true);
        // the old schedule slot (T0 + 1000) still holds once; after it, grants come every 100 ms
        expect((await claimFirst(c, { pace, now: T0 + 1000 })).ok).toBe(true);
        expect((await claimFirst(c, { pace, now: T0 + 1100 })).ok).toBe(true);
        expect((await claimFirst(c, { pace, now: T0 + 1200 })).ok).toBe(true);
      });

      it('caps concurrency at campaign, account and caller-ID level; a finish or an expired lease frees a slot', async () => {
        const a = await activeCampaign({ pace: { callsPerSecond: 100, maxConcurrentCalls: 2 } });
        const b = await activeCampaign({ pace: { callsPerSecond: 100, maxConcurrentCalls: 100 } });
        await enrollN(a, 5, T0, 0);
        await enrollN(b, 5, T0, 100);
        const levels = (acctCap: number, numberCap: number): PaceLevel[] => [
          { name: 'campaign', callsPerSecond: 0, maxConcurrent: 0 },
          { name: 'acct', callsPerSecond: 100, maxConcurrent: acctCap },
          { name: 'n:+15550001000', callsPerSecond: 100, maxConcurrent: numberCap },
        ];
        let now = T0;
        const first = await claimFirst(a, { pace: levels(3, 100), now, leaseUntil: T0 + 5000 });
        const second = await claimFirst(a, { pace: levels(3, 100), now: (now += 20) });
        expect(first.ok && second.ok).toBe(true);
        // campaign a is at its cap of 2
        expect((await claimFirst(a, { pace: levels(3, 100), now: (now += 20) })).ok).toBe(false);
        // b may take the account's third slot, not a fourth
        expect((await claimFirst(b, { pace: levels(3, 100), now: (now += 20) })).ok).toBe(true);
        const denied = await claimFirst(b, { pace: levels(3, 100), now: (now += 20) });
        expect(denied).toMatchObject({ ok: false, reason: 'paced' });
        // caller-ID level: its cap of 3 is also full
        expect((await claimFirst(b, { pace: levels(100, 3), now: (now += 20) })).ok).toBe(false);
        if (!second.ok) return;
        await finish(second.attempt.attemptId, (now += 20));
        expect((await claimFirst(b, { pace: levels(3, 100), now: now + 20 })).ok).toBe(true);
        // first's lease (T0 + 5000) expires: its slot frees without any callback
        expect((await claimFirst(b, { pace: levels(3, 100), now: T0 + 4999 })).ok).toBe(false);
        expect((await claimFirst(b, { pace: levels(3, 100), now: T0 + 5000 })).ok).toBe(true);
      });

      it('dial-mode capacity limits live attempts of the campaign', async () => {
        const c = await activeCampaign();
        await enrollN(c, 3);
        const pace: PaceLevel[] = [{ name: 'campaign', callsPerSecond: 0, maxConcurrent: 0 }];
        expect((await claimFirst(c, { pace, maxLive: 1 })).ok).toBe(true);
        expect(await claimFirst(c, { pace, maxLive: 1, now: T0 + 100 })).toEqual({
          ok: false,
          reason: 'capacity',
        });
        expect((await claimFirst(c, { pace, maxLive: 2, now: T0 + 100 })).ok).toBe(true);
      });

      it('property: random acquire sequences never exceed ceil(cps) per 1000 ms nor the cap, per level', async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.record({
              cps: fc.oneof(fc.constantFrom(1, 2.5, 5, 10), fc.double({ min: 0.5, max: 20, noNaN: true })),
              cap: fc.integer({ min: 1, max: 6 }),
              acctCps: fc.integer({ min: 1, max: 15 }),
              acctCap: fc.integer({ min: 1, max: 6 }),
              steps: fc.array(
                fc.record({
                  dt: fc.integer({ min: 0, max: 400 }),
                  finish: fc.boolean(),
                  lease: fc.integer({ min: 50, max: 3000 }),
                }),
                { minLength: 5, maxLength: 40 },
              ),
            }),
            async ({ cps, cap, acctCps, acctCap, steps }) => {
              const c = await activeCampaign({ pace: { callsPerSecond: cps, maxConcurrentCalls: cap } });
              const acct = `acct-${c}`;
              // contacts unique to this run: live locks are portal-wide
              await enrollN(c, steps.length, T0, ++seq * 100);
              const pace: PaceLevel[] = [
                { name: 'campaign', callsPerSecond: 0, maxConcurrent: 0 },
                { name: acct, callsPerSecond: acctCps, maxConcurrent: acctCap },
              ];
              let now = T0;
              const grants: number[] = [];
              const live = new Map<string, number>();
              for (const step of steps) {
                now += step.dt;
                for (const [id, until] of live) if (until <= now) live.delete(id);
                if (step.finish && live.size) {
                  const [id] = live.keys();
                  await finish(id!, now);
                  live.delete(id!);
                }
                const r = await claimFirst(c, { pace, now, leaseUntil: now + step.lease });
                if (r.ok) {
                  grants.push(now);
                  live.set(r.attempt.attemptId, now + step.lease);
                  expect(live.size).toBeLessThanOrEqual(Math.min(cap, acctCap));
                } else expect(['paced', 'not-due']).toContain(r.reason);
              }
              const limit = Math.min(windowCap(cps), windowCap(acctCps));
              for (let i = 0; i < grants.length; i++) {
                const inWindow = grants.filter((g) => g >= grants[i]! && g < grants[i]! + WINDOW_MS).length;
                expect(inWindow).toBeLessThanOrEqual(limit);
              }
            },
          ),
          { numRuns: 25 },
        );
      });
    });

    describe('dial-request re-checks (a preview claim is held for minutes)', () => {
      const HOUR = 3_600_000;

      async function claimedK0() {
        const c = await activeCampaign();
        await enrollN(c, 2);
        const claimed = await claimFirst(c, { leaseUntil: T0 + HOUR });
        if (!claimed.ok) throw new Error('claim failed');
        expect(claimed.attempt.contactId).toBe('k0');
        return { c, id: claimed.attempt.attemptId };
      }

      async function expectRefused(id: string, reason: string, now = T0 + 1000) {
        const marked = await store.markDialRequested(portal, id, now, now + HOUR, [], PACE_ALL);
        expect(marked).toMatchObject({ ok: false, reason });
        // refused: nothing changed, the attempt is still only claimed and holds no pacer slot
        const a = (await store.getAttempt(portal, id))!;
        expect(a.state).toBe('claimed');
        expect(a.levels).toEqual([]);
        expect(await store.liveCount(portal, 'acct', now)).toBe(0);
      }

      it('refuses a number added to DNC after the claim', async () => {
        const { id } = await claimedK0();
        await store.addDoNotCall(portal, ['+12125551000']);
        await expectRefused(id, 'dnc');
      });

      it('refuses a contact removed after the claim', async () => {
        const { id } = await claimedK0();
        await store.removeContact(portal, 'k0');
        await expectRefused(id, 'removed');
      });

      it('refuses when the campaign was paused after the claim', async () => {
        const { c, id } = await claimedK0();
        const record = (await store.getCampaign(portal, c))!;
        expect(await store.saveCampaign({ ...record, status: 'paused', version: record.version + 1 })).toBe(
          true,
        );
        await expectRefused(id, 'inactive');
      });

      it('refuses a claim whose lease ran out (not yet reaped)', async () => {
        const { id } = await claimedK0();
        await expectRefused(id, 'expired', T0 + HOUR);
      });

      it('refuses when the lead is no longer held by this claim', async () => {
        const { c, id } = await claimedK0();
        await store.unenroll(portal, c, 'k0', T0 + 1);
        await expectRefused(id, 'changed');
      });
    });

    describe("the number's portal-wide cap and gap (every campaign's dials count)", () => {
      const HOUR = 3_600_000;
      const FLORIDA = { maxPer24h: 3, minGapMs: 30 * 60_000 };

      it('denies inside the gap and moves the lead to the earliest allowed time', async () => {
        const a = await activeCampaign();
        const b = await activeCampaign();
        await enrollN(a, 1);
        await enrollN(b, 1);
        const first = await dialBatch(a, 'k0', T0, FLORIDA);
        expect(first.granted).toHaveLength(1);
        await finish(first.granted[0]!.attemptId, T0 + 60_000);
        expect(await store.recentDials(portal, ['+12125551000', '+19999999999'], T0 + 1)).toEqual(
          new Map([['+12125551000', [T0]]]),
        );
        const lead = (await store.getLead(portal, b, 'k0'))!;
        const denied = await store.claim(
          claimReq(b, 'k0', lead.rev, { now: T0 + 60_000, numberLimits: FLORIDA }),
        );
        expect(denied).toEqual({ ok: false, reason: 'number-limit', waitMs: 30 * 60_000 - 60_000 });
        expect((await store.getLead(portal, b, 'k0'))!.dueAt).toBe(T0 + 30 * 60_000);
        // the same number in another campaign through the batch path: denied the same way
        const batch = await dialBatch(b, 'k0', T0 + 60_000, FLORIDA);
        expect(batch.granted).toEqual([]);
        expect(await store.peekDue(portal, b, T0 + 60_000, 5)).toEqual([]);
        // without limits (another country) the log does not stop the dial
        const free = await store.claim(claimReq(b, 'k0', lead.rev, { now: T0 + 30 * 60_000 }));
        expect(free.ok).toBe(true);
      });

      it('allows at most the cap in any rolling 24 h, across campaigns, then the earliest time is +24 h', async () => {
        const campaigns = [await activeCampaign(), await activeCampaign(), await activeCampaign()];
        for (const c of campaigns) await enrollN(c, 1);
        const times = [T0, T0 + HOUR, T0 + 2 * HOUR];
        for (let i = 0; i < 3; i++) {
          const r = await dialBatch(campaigns[i]!, 'k0', times[i]!, FLORIDA);
          expect(r.granted).toHaveLength(1);
          await finish(r.granted[0]!.attemptId, times[i]! + 60_000, times[i]! + 24 * HOUR);
        }
        const fourth = campaigns[0]!;
        const lead = (await store.getLead(portal, fourth, 'k0'))!;
        // due again in campaign 0 (its own retry), but the number already had 3 dials in 24 h
        await store.reschedule(portal, fourth, 'k0', lead.rev, T0 + 3 * HOUR);
        const again = (await store.getLead(portal, fourth, 'k0'))!;
        const denied = await store.claim(
          claimReq(fourth, 'k0', again.rev, { now: T0 + 3 * HOUR, numberLimits: FLORIDA }),
        );
        expect(denied).toMatchObject({ ok: false, reason: 'number-limit', waitMs: 21 * HOUR });
        expect((await store.getLead(portal, fourth, 'k0'))!.dueAt).toBe(T0 + 24 * HOUR);
        const later = await store.claim(
          claimReq(fourth, 'k0', again.rev, { now: T0 + 24 * HOUR, numberLimits: FLORIDA }),
        );
        expect(later.ok).toBe(true);
      });

      it('a preview claim is checked again and recorded at the dial-request', async () => {
        const a = await activeCampaign();
        const b = await activeCampaign();
        await enrollN(a, 1);
        await enrollN(b, 1);
        const previewed = await claimFirst(a, { leaseUntil: T0 + HOUR, numberLimits: FLORIDA });
        if (!previewed.ok) throw new Error('claim failed');
        // nothing is recorded until the rep dials
        expect(await store.recentDials(portal, ['+12125551000'], T0)).toEqual(new Map());
        const id = previewed.attempt.attemptId;
        expect(
          await store.markDialRequested(portal, id, T0 + 5000, T0 + HOUR, [], PACE_ALL, FLORIDA),
        ).toEqual({
          ok: true,
        });
        expect((await store.recentDials(portal, ['+12125551000'], T0 + 5000)).get('+12125551000')).toEqual([
          T0 + 5000,
        ]);
        await finish(id, T0 + 60_000);
        const r = await dialBatch(b, 'k0', T0 + 10 * 60_000, FLORIDA);
        expect(r.granted).toEqual([]);
        expect(r.denied).toEqual([{ contactId: 'k0', reason: 'number-limit' }]);
        expect((await store.getLead(portal, b, 'k0'))!.dueAt).toBe(T0 + 5000 + 30 * 60_000);
      });
    });

    describe('both stores answer alike (divergences found and fixed)', () => {
      it('a lead not yet due whose number is live elsewhere is not-due, and its due time does not move', async () => {
        const a = await activeCampaign();
        const b = await activeCampaign();
        await store.enroll(portal, a, [{ contactId: 'x', e164: '+12125557001', dueAt: T0 }], [], T0);
        const later = T0 + 3_600_000;
        await store.enroll(portal, b, [{ contactId: 'y', e164: '+12125557001', dueAt: later }], [], T0);
        expect((await claimFirst(a)).ok).toBe(true); // the number is now live in campaign a
        const y = (await store.getLead(portal, b, 'y'))!;
        const single = await store.claim(claimReq(b, 'y', y.rev));
        expect(single).toEqual({ ok: false, reason: 'not-due' });
        const batch = await dialBatch(b, 'y', T0);
        expect(batch.granted).toEqual([]);
        expect(batch.denied).toEqual([{ contactId: 'y', reason: 'not-due' }]);
        expect((await store.getLead(portal, b, 'y'))!.dueAt).toBe(later);
      });

      it('markDialed after the finish: refused, the attempt stays finished and keeps the call id', async () => {
        const c = await activeCampaign();
        await enrollN(c, 1);
        const granted = (await dialBatch(c, 'k0', T0)).granted[0]!;
        expect(await finish(granted.attemptId, T0 + 1000)).toBe('finished');
        expect(await store.markDialed(portal, granted.attemptId, 'CA-late')).toBe(false);
        const attempt = (await store.getAttempt(portal, granted.attemptId))!;
        expect(attempt.state).toBe('finished');
        expect(attempt.providerCallId).toBe('CA-late');
      });

      it('markDialed twice with the same call id answers true twice', async () => {
        const c = await activeCampaign();
        await enrollN(c, 1);
        const granted = (await dialBatch(c, 'k0', T0)).granted[0]!;
        expect(await store.markDialed(portal, granted.attemptId, 'CA-1')).toBe(true);
        expect(await store.markDialed(portal, granted.attemptId, 'CA-1')).toBe(true);
        expect(await store.markDialed(portal, granted.attemptId, 'CA-2')).toBe(false);
        expect((await store.getAttempt(portal, granted.attemptId))!.providerCallId).toBe('CA-1');
      });
    });

    describe('finish, wrap-ups, requeue and lead changes', () => {
      async function dialed(campaignId: string, contactId: string) {
        const granted = (await dialBatch(campaignId, contactId, T0)).granted[0];
        if (!granted) throw new Error('not granted');
        return granted.attemptId;
      }
      const reached = (attemptId: string) => ({
        state: 'reached' as const,
        attempts: 1,
        firstAttemptAt: T0,
        recentAttemptTimes: [T0],
        consecutiveTechnicalErrors: 0,
        attemptId,
      });

      it('a finish over stale progress or a stale wrap-up is refused and changes nothing', async () => {
        const c = await activeCampaign();
        await enrollN(c, 1);
        const id = await dialed(c, 'k0');
        expect(await store.saveProgress(portal, id, 0, '{"s":1}', T0 + 90_000, [])).toBe(true);
        const base = { portalId: portal, attemptId: id, now: T0 + 1000, lead: reached(id), nextAt: null };
        expect(
          await store.finishAttempt({ ...base, events: [], summary: 't', progress: '{"s":2}', expectRev: 0 }),
        ).toBe('stale-progress');
        expect(
          await store.wrapUpAttempt({ mode: 'pending', portalId: portal, attemptId: id, wrapUp: 'W' }),
        ).toBe('saved');
        expect(await store.finishAttempt({ ...base, events: [], summary: 't' })).toBe('stale-wrap-up');
        expect((await store.getAttempt(portal, id))!.state).toBe('dial-requested');
        expect(await store.finishAttempt({ ...base, events: [], summary: 't', wrapUp: 'W' })).toBe(
          'finished',
        );
        expect(await store.finishAttempt({ ...base, events: [], summary: 't', wrapUp: 'W' })).toBe(
          'already-finished',
        );
      });

      it('a finish that pauses the campaign bumps its version', async () => {
        const c = await activeCampaign();
        await enrollN(c, 1);
        const id = await dialed(c, 'k0');
        const prior = decodeProgress((await store.getAttempt(portal, id))!.priorLead);
        expect(
          await store.finishAttempt({
            portalId: portal,
            attemptId: id,
            now: T0 + 1000,
            lead: prior,
            nextAt: T0 + 1000,
            pauseCampaign: true,
            events: [],
            summary: 'account error',
          }),
        ).toBe('finished');
        const campaign = (await store.getCampaign(portal, c))!;
        expect(campaign.status).toBe('paused');
        expect(campaign.version).toBe(2);
        expect((await store.getLead(portal, c, 'k0'))!.dueAt).toBe(T0 + 1000);
      });

      it("a rep's wrap-up applies to the finished attempt's lead once; a different one conflicts", async () => {
        const c = await activeCampaign();
        await enrollN(c, 1);
        const id = await dialed(c, 'k0');
        expect(await finish(id, T0 + 1000)).toBe('finished');
        const lead = (await store.getLead(portal, c, 'k0'))!;
        const apply = {
          mode: 'apply' as const,
          portalId: portal,
          attemptId: id,
          wrapUp: 'callback',
          campaignId: c,
          contactId: 'k0',
          expectRev: lead.rev,
          lead: { ...lead.progress, state: 'retrying' as const },
          dueAt: T0 + 3_600_000,
          events: [],
        };
        expect(await store.wrapUpAttempt(apply)).toBe('applied');
        expect(await store.wrapUpAttempt(apply)).toBe('same');
        expect(await store.wrapUpAttempt({ ...apply, wrapUp: 'other' })).toBe('conflict');
        expect((await store.getLead(portal, c, 'k0'))!.dueAt).toBe(T0 + 3_600_000);
        expect(
          await store.wrapUpAttempt({ mode: 'pending', portalId: portal, attemptId: id, wrapUp: 'x' }),
        ).toBe('conflict');
      });

      it('a requeue after the lead went final releases the attempt but leaves the lead final', async () => {
        const c = await activeCampaign();
        await enrollN(c, 1);
        const claim = await claimFirst(c);
        if (!claim.ok) throw new Error('not claimed');
        expect(await store.unenroll(portal, c, 'k0', T0 + 10)).toBe(true);
        expect(await store.requeueClaimed(portal, claim.attempt.attemptId, T0 + 5000, T0 + 10)).toBe(true);
        const lead = (await store.getLead(portal, c, 'k0'))!;
        expect(lead.progress.state).toBe('removed');
        expect(lead.dueAt).toBeNull();
        expect(await store.getAttempt(portal, claim.attempt.attemptId)).toBeNull();
      });

      it('rescheduling to a final state takes the lead out of the queue, once', async () => {
        const c = await activeCampaign();
        await enrollN(c, 1);
        const lead = (await store.getLead(portal, c, 'k0'))!;
        expect(await store.reschedule(portal, c, 'k0', lead.rev, null, 'failed')).toBe(true);
        const after = (await store.getLead(portal, c, 'k0'))!;
        expect(after.progress.state).toBe('failed');
        expect(after.dueAt).toBeNull();
        expect(await store.reschedule(portal, c, 'k0', lead.rev, T0 + 5000)).toBe(false);
        expect(await store.dueCount(portal, c)).toBe(0);
      });

      it('updateLead is a compare-and-set of any lead, and refuses unknown contacts', async () => {
        const c = await activeCampaign();
        await enrollN(c, 1);
        const id = await dialed(c, 'k0');
        expect(await finish(id, T0 + 1000)).toBe('finished');
        const lead = (await store.getLead(portal, c, 'k0'))!;
        const next = { ...lead.progress, state: 'retrying' as const };
        expect(await store.updateLead(portal, c, 'k0', 'stale', next, T0 + 9000)).toBe(false);
        expect(await store.updateLead(portal, c, 'nobody', lead.rev, next, T0 + 9000)).toBe(false);
        expect(await store.updateLead(portal, c, 'k0', lead.rev, next, T0 + 9000)).toBe(true);
        const after = (await store.getLead(portal, c, 'k0'))!;
        expect(after.progress.state).toBe('retrying');
        expect(after.dueAt).toBe(T0 + 9000);
      });
    });

    describe('the same request twice (a re-sent command answers alike and changes nothing)', () => {
      /** What a second run could change, through the port's own reads. */
      async function observe(campaignId: string, contacts: string[], attempts: string[]) {
        return {
          states: await store.leadStates(portal, campaignId),
          due: await store.peekDue(portal, campaignId, T0 + 86_400_000, 100),
          leads: await Promise.all(contacts.map((k) => store.getLead(portal, campaignId, k))),
          attempts: await Promise.all(attempts.map((a) => store.getAttempt(portal, a))),
          events: (await store.tail(portal, '0', { count: 10_000, blockMs: 0 })).length,
          live: await store.liveCount(portal, `c:${campaignId}`, T0),
          expiring: await store.expiredAttempts(portal, T0 + 86_400_000, 100),
        };
      }

      it('a batch claim (grants, a DNC denial, a busy number) and its dial requests', async () => {
        const c = await activeCampaign();
        const other = await activeCampaign();
        await enrollN(c, 3);
        await store.enroll(portal, other, [{ contactId: 'o', e164: '+12125551002', dueAt: T0 }], [], T0);
        await store.addDoNotCall(portal, ['+12125551001']); // k1
        expect((await claimFirst(other)).ok).toBe(true); // k2's number is live elsewhere
        const leads = await Promise.all(['k0', 'k1', 'k2'].map((k) => store.getLead(portal, c, k)));
        const request = {
          portalId: portal,
          campaignId: c,
          now: T0,
          candidates: leads.map((lead, i) => ({
            contactId: lead!.contactId,
            expectRev: lead!.rev,
            attemptId: `replay-${c}-${i}`,
            from: '+15550001000',
            started: {
              type: 'attempt.started' as const,
              portalId: portal,
              campaignId: c,
              contactId: lead!.contactId,
              attemptId: `replay-${c}-${i}`,
              at: T0,
            } as unknown as NonNullable<BatchCandidate['started']>,
          })),
          claimLeaseUntil: T0 + 15_000,
          dialLeaseUntil: T0 + 60_000,
          pace: PACE_ALL,
          maxLive: null,
          busyRetryMs: 30_000,
          amd: false,
        };
        const first = await store.claimBatch(request);
        expect(first.granted.map((g) => g.contactId)).toEqual(['k0']);
        expect(first.denied).toEqual([
          { contactId: 'k1', reason: 'dnc' },
          { contactId: 'k2', reason: 'contact-busy' },
        ]);
        const ids = request.candidates.map((x) => x.attemptId);
        const before = await observe(c, ['k0', 'k1', 'k2'], ids);
        expect(await store.claimBatch(request)).toEqual(first);
        expect(await observe(c, ['k0', 'k1', 'k2'], ids)).toEqual(before);
      });

      it('a single claim, a preview dial request, a dial mark and a reschedule', async () => {
        const c = await activeCampaign();
        await enrollN(c, 2);
        const lead = (await store.getLead(portal, c, 'k0'))!;
        const request = claimReq(c, 'k0', lead.rev);
        const first = await store.claim(request);
        if (!first.ok) throw new Error('not claimed');
        const id = first.attempt.attemptId;
        let before = await observe(c, ['k0', 'k1'], [id]);
        expect(await store.claim(request)).toEqual(first);
        expect(await observe(c, ['k0', 'k1'], [id])).toEqual(before);

        const ev = [
          {
            type: 'attempt.started',
            portalId: portal,
            campaignId: c,
            contactId: 'k0',
            attemptId: id,
            at: T0,
          },
        ];
        const dial = () => store.markDialRequested(portal, id, T0 + 10, T0 + 60_000, ev as never[], PACE_ALL);
        expect(await dial()).toEqual({ ok: true });
        before = await observe(c, ['k0', 'k1'], [id]);
        expect(await dial()).toEqual({ ok: true });
        expect(await observe(c, ['k0', 'k1'], [id])).toEqual(before);

        expect(await store.markDialed(portal, id, 'CA-r')).toBe(true);
        before = await observe(c, ['k0', 'k1'], [id]);
        expect(await store.markDialed(portal, id, 'CA-r')).toBe(true);
        expect(await observe(c, ['k0', 'k1'], [id])).toEqual(before);

        const k1 = (await store.getLead(portal, c, 'k1'))!;
        expect(await store.reschedule(portal, c, 'k1', k1.rev, T0 + 7000)).toBe(true);
        before = await observe(c, ['k0', 'k1'], [id]);
        expect(await store.reschedule(portal, c, 'k1', k1.rev, T0 + 7000)).toBe(true);
        expect(await observe(c, ['k0', 'k1'], [id])).toEqual(before);
      });
    });

    describe('per-tick batches of the send-time notes and dial marks', () => {
      it('markDialedMany answers per mark, as markDialed would', async () => {
        const c = await activeCampaign();
        await enrollN(c, 3);
        const [a, b, f] = [
          await dialBatch(c, 'k0', T0),
          await dialBatch(c, 'k1', T0),
          await dialBatch(c, 'k2', T0),
        ].map((r) => r.granted[0]!.attemptId);
        expect(await finish(f!, T0 + 500)).toBe('finished');
        const answers = await store.markDialedMany(portal, [
          { attemptId: a!, providerCallId: 'CA-a' },
          { attemptId: b!, providerCallId: 'CA-b' },
          { attemptId: f!, providerCallId: 'CA-f' },
          { attemptId: 'missing', providerCallId: 'CA-m' },
        ]);
        expect(answers).toEqual([true, true, false, false]);
        expect((await store.getAttempt(portal, a!))!).toMatchObject({
          state: 'dialed',
          providerCallId: 'CA-a',
        });
        expect((await store.getAttempt(portal, f!))!).toMatchObject({
          state: 'finished',
          providerCallId: 'CA-f',
        });
      });

      it('noteDispatchedMany moves each grant in the rate window to its send time', async () => {
        const c = await activeCampaign({ pace: { callsPerSecond: 1, maxConcurrentCalls: 10 } });
        await enrollN(c, 2);
        const pace: PaceLevel[] = [{ name: 'campaign', callsPerSecond: 0, maxConcurrent: 0 }];
        const claimAt = async (contactId: string, now: number) => {
          const lead = (await store.getLead(portal, c, contactId))!;
          return store.claimBatch({
            portalId: portal,
            campaignId: c,
            now,
            candidates: [{ contactId, expectRev: lead.rev, attemptId: nextId('att'), from: '+15550001000' }],
            claimLeaseUntil: now + 15_000,
            dialLeaseUntil: now + 60_000,
            pace,
            maxLive: null,
            busyRetryMs: 30_000,
            amd: false,
          });
        };
        const first = (await claimAt('k0', T0)).granted[0]!;
        // sent half a second after its grant: the next call keeps a full second from the send, not the grant
        await store.noteDispatchedMany(portal, [
          { attemptId: first.attemptId, levels: first.levels, at: T0 + 500 },
        ]);
        const early = await claimAt('k1', T0 + 1200);
        expect(early.granted).toEqual([]);
        expect(early.stop?.reason).toBe('paced');
        const later = await claimAt('k1', T0 + 1600);
        expect(later.granted).toHaveLength(1);
      });
    });

    describe('an expired lease means "unknown", never "free" (issue 9 #1)', () => {
      it('a number whose call went quiet past its lease stays locked until the finish or the hard bound', async () => {
        const a = await activeCampaign();
        const b = await activeCampaign();
        await store.enroll(portal, a, [{ contactId: 'x', e164: '+12125550100', dueAt: T0 }], [], T0);
        await store.enroll(portal, b, [{ contactId: 'y', e164: '+12125550100', dueAt: T0 }], [], T0);
        const first = await dialBatch(a, 'x', T0); // lease ends at T0 + 60 s
        expect(first.granted).toHaveLength(1);
        const afterLease = T0 + 60_100;
        const lead = (await store.getLead(portal, b, 'y'))!;
        const batch = (now: number, lockBoundMs?: number) =>
          store.claimBatch({
            portalId: portal,
            campaignId: b,
            now,
            candidates: [
              { contactId: 'y', expectRev: lead.rev, attemptId: nextId('att'), from: '+15550001000' },
            ],
            claimLeaseUntil: now + 15_000,
            dialLeaseUntil: now + 60_000,
            maxLive: null,
            busyRetryMs: 30_000,
            amd: false,
            ...(lockBoundMs !== undefined ? { lockBoundMs } : {}),
          });
        expect((await batch(afterLease)).denied).toEqual([{ contactId: 'y', reason: 'contact-busy' }]);
        // the single claim (preview, click-to-call) answers the same
        const single = await store.claim(
          claimReq(b, 'y', lead.rev, { now: afterLease + 30_000, leaseUntil: afterLease + 90_000 }),
        );
        expect(single).toEqual({ ok: false, reason: 'contact-busy', waitMs: 30_000 });
        // past the hard bound (the longest call after the lease) the lock is presumed orphaned
        const late = T0 + 60_000 + 3_600_000 + 1;
        expect((await batch(late, 3_600_000)).granted).toHaveLength(1);
      });

      it('a claim never dial-requested is free once its lease ends (its dial request is refused)', async () => {
        const a = await activeCampaign();
        const b = await activeCampaign();
        await store.enroll(portal, a, [{ contactId: 'x', e164: '+12125550100', dueAt: T0 }], [], T0);
        await store.enroll(portal, b, [{ contactId: 'y', e164: '+12125550100', dueAt: T0 }], [], T0);
        const first = await claimFirst(a); // claimed only, lease T0 + 60 s
        expect(first.ok).toBe(true);
        expect((await dialBatch(b, 'y', T0 + 60_001)).granted).toHaveLength(1);
        if (!first.ok) return;
        const refused = await store.markDialRequested(
          portal,
          first.attempt.attemptId,
          T0 + 60_002,
          T0 + 120_000,
          [],
        );
        expect(refused).toMatchObject({ ok: false, reason: 'expired' });
      });

      it('the finish releases the number at once, whatever the lease', async () => {
        const a = await activeCampaign();
        const b = await activeCampaign();
        await store.enroll(portal, a, [{ contactId: 'x', e164: '+12125550100', dueAt: T0 }], [], T0);
        await store.enroll(portal, b, [{ contactId: 'y', e164: '+12125550100', dueAt: T0 }], [], T0);
        const first = await dialBatch(a, 'x', T0);
        expect(first.granted).toHaveLength(1);
        await finish(first.granted[0]!.attemptId, T0 + 120_000);
        expect((await dialBatch(b, 'y', T0 + 120_001)).granted).toHaveLength(1);
      });
    });

    describe('batch-claim denials (the path auto-dial uses)', () => {
      it('DNC and removed contacts are denied and leave the queue; a busy number is denied and moved back', async () => {
        const c = await activeCampaign();
        const other = await activeCampaign();
        await enrollN(c, 3);
        await store.enroll(portal, other, [{ contactId: 'o', e164: '+12125551002', dueAt: T0 }], [], T0);
        await store.addDoNotCall(portal, ['+12125551000']); // k0's number
        await store.removeContact(portal, 'k1');
        expect((await claimFirst(other)).ok).toBe(true); // k2's number is live in the other campaign
        const dnc = await dialBatch(c, 'k0', T0);
        expect(dnc.denied).toEqual([{ contactId: 'k0', reason: 'dnc' }]);
        const removed = await dialBatch(c, 'k1', T0);
        expect(removed.denied).toEqual([{ contactId: 'k1', reason: 'removed' }]);
        const busy = await dialBatch(c, 'k2', T0);
        expect(busy.denied).toEqual([{ contactId: 'k2', reason: 'contact-busy' }]);
        expect((await store.getLead(portal, c, 'k0'))!.progress.state).toBe('dnc');
        expect((await store.getLead(portal, c, 'k1'))!.progress.state).toBe('removed');
        expect((await store.getLead(portal, c, 'k0'))!.dueAt).toBeNull();
        expect((await store.getLead(portal, c, 'k2'))!.dueAt).toBe(T0 + 30_000);
      });
    });

    describe('events', () => {
      it('appends, reads through a consumer group with ack, and redelivers a silent consumer’s entries', async () => {
        const ev = (n: number) => ({
          type: 'lead.removed' as const,
          portalId: portal,
          campaignId: 'c',
          contactId: `e${n}`,
          reason: 'UNENROLLED' as const,
          at: T0 + n,
        });
        const ids = [await store.append(portal, ev(1)), await store.append(portal, ev(2))];
        await store.ensureGroup(portal, 'crm');
        await store.ensureGroup(portal, 'crm'); // idempotent
        await store.append(portal, ev(3));
        const got = await store.readGroup(portal, 'crm', 'w1', { count: 2, blockMs: 0 });
        expect(got.map((e) => e.id)).toEqual(ids);
        expect(got[0]).toMatchObject({ type: 'lead.removed', contactId: 'e1' });
        await store.ack(portal, 'crm', [ids[0]!]);
        // w1 "crashes" holding e2: not stale yet for a long idle threshold, redelivered to w2 at 0
        expect(await store.claimStale(portal, 'crm', 'w2', { minIdleMs: 3_600_000, count: 10 })).toEqual([]);
        const reclaimed = await store.claimStale(portal, 'crm', 'w2', { minIdleMs: 0, count: 10 });
        expect(reclaimed.map(cid)).toEqual(['e2']);
        const rest = await store.readGroup(portal, 'crm', 'w2', { count: 10, blockMs: 0 });
        expect(rest.map(cid)).toEqual(['e3']);
        const all = await store.tail(portal, '0', { count: 10, blockMs: 0 });
        expect(all.map(cid)).toEqual(['e1', 'e2', 'e3']);
        expect((await store.tail(portal, ids[0]!, { count: 10, blockMs: 0 })).length).toBe(2);
        const pendingNew = store.readGroup(portal, 'crm', 'w2', { count: 10, blockMs: 5000 });
        await store.append(portal, ev(4));
        expect((await pendingNew).map(cid)).toEqual(['e4']);
      });

      it("reads a consumer's own unacked entries again, in order, from any id", async () => {
        const ev = (n: number) => ({
          type: 'lead.removed' as const,
          portalId: portal,
          campaignId: 'c',
          contactId: `p${n}`,
          reason: 'UNENROLLED' as const,
          at: T0 + n,
        });
        const group = `own-${Math.random().toString(36).slice(2)}`;
        await store.ensureGroup(portal, group);
        for (let n = 1; n <= 5; n++) await store.append(portal, ev(n));
        // Everything before this test is delivered to and acked by someone else first.
        let before = await store.readGroup(portal, group, 'other', { count: 100_000, blockMs: 0 });
        while (before.length > 5) {
          await store.ack(
            portal,
            group,
            before.slice(0, before.length - 5).map((e) => e.id),
          );
          before = before.slice(before.length - 5);
        }
        expect(before.map(cid)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
        // 'other' had p1..p5 delivered (its read reply "lost"); w3 reads nothing of them.
        expect(await store.readPending(portal, group, 'w3', { afterId: '0', count: 10 })).toEqual([]);
        await store.ack(portal, group, [before[1]!.id]);
        const own = await store.readPending(portal, group, 'other', { afterId: '0', count: 10 });
        expect(own.map(cid)).toEqual(['p1', 'p3', 'p4', 'p5']);
        expect(own[0]).toMatchObject({ type: 'lead.removed', contactId: 'p1' });
        const page = await store.readPending(portal, group, 'other', { afterId: own[1]!.id, count: 1 });
        expect(page.map(cid)).toEqual(['p4']);
        // Reading the history is not a new delivery: nothing new is pending, and the entries stay ours.
        expect(await store.readGroup(portal, group, 'other', { count: 10, blockMs: 0 })).toEqual([]);
        expect((await store.readPending(portal, group, 'other', { afterId: '0', count: 10 })).length).toBe(4);
      });

      it('state changes append events: enrollment and removal', async () => {
        const c = await activeCampaign();
        const start = await store.tail(portal, '0', { count: 1000, blockMs: 0 });
        await enrollN(c, 2);
        await store.unenroll(portal, c, 'k0', T0);
        const after = (await store.tail(portal, '0', { count: 1000, blockMs: 0 })).slice(start.length);
        expect(after.map((e) => e.type)).toEqual(['enrollment', 'lead.removed']);
        expect(after[0]).toMatchObject({ enrolled: 2, campaignId: c });
      });
    });

    describe('wake-ups', () => {
      it('delivers a wake-up to listeners of the portal', async () => {
        let woke = 0;
        const off = await store.onWake(portal, () => woke++);
        const received = new Promise<void>((resolve) => {
          void store.onWake(portal, () => resolve());
        });
        await store.wake(portal);
        await received;
        expect(woke).toBeGreaterThanOrEqual(1);
        await off();
      });
    });

    describe('CRM changes and privacy deletion', () => {
      it("setLeadNumber moves an unfinished lead to a new number, never onto another lead's", async () => {
        const c = await activeCampaign();
        await enrollN(c, 2); // k0 +12125551000, k1 +12125551001
        expect(await store.setLeadNumber(portal, c, 'k0', '+12125551001')).toBe('duplicate');
        expect(await store.setLeadNumber(portal, c, 'k0', '+12125559000', 'America/Chicago')).toBe('updated');
        expect(await store.getLead(portal, c, 'k0')).toMatchObject({
          e164: '+12125559000',
          zone: 'America/Chicago',
        });
        // the old number is free again, the new one is taken
        expect(await store.setLeadNumber(portal, c, 'k1', '+12125551000')).toBe('updated');
        expect(await store.setLeadNumber(portal, c, 'k1', '+12125559000')).toBe('duplicate');
        await store.unenroll(portal, c, 'k1', T0);
        expect(await store.setLeadNumber(portal, c, 'k1', '+12125557777')).toBe('missing');
        expect(await store.setLeadNumber(portal, c, 'nobody', '+12125557777')).toBe('missing');
      });

      it('purgeContact waits for a live call, then forgets the contact everywhere but the DNC list', async () => {
        const a = await activeCampaign();
        const b = await activeCampaign();
        await enrollN(a, 2);
        await enrollN(b, 2);
        const first = await claimFirst(a); // k0 is live
        if (!first.ok) throw new Error('claim failed');
        await store.addDoNotCall(portal, ['+12125551000']);
        expect(await store.purgeContact(portal, 'k0', [])).toBe('live');
        expect(await store.getLead(portal, b, 'k0')).not.toBeNull();
        await finish(first.attempt.attemptId, T0 + 1000);
        expect(await store.purgeContact(portal, 'k0', [])).toBe('purged');
        expect(await store.purgeContact(portal, 'k0', [])).toBe('purged');
        for (const c of [a, b]) {
          expect(await store.getLead(portal, c, 'k0')).toBeNull();
          expect(await store.getLead(portal, c, 'k1')).not.toBeNull();
          expect((await store.skippedContacts(portal, c)).map((s) => s.contactId)).not.toContain('k0');
        }
        expect(await store.getAttempt(portal, first.attempt.attemptId)).toBeNull();
        const events = await store.tail(portal, '0', { count: 1000, blockMs: 0 });
        expect(events.length).toBeGreaterThan(0);
        expect(JSON.stringify(events)).not.toMatch(/"k0"|\+12125551000/);
        expect(await store.recentDials(portal, ['+12125551000'], T0 + 2000)).toEqual(new Map());
        expect(await store.isDoNotCall(portal, '+12125551000')).toBe(true);
      });
    });

    it('codec round-trips lead progress', () => {
      const p = {
        state: 'retrying' as const,
        attempts: 3,
        firstAttemptAt: T0,
        recentAttemptTimes: [T0, T0 + 1000, T0 + 2000],
        consecutiveTechnicalErrors: 1,
        attemptId: 'a.1.xyz',
      };
      expect(decodeProgress(encodeProgress(p))).toEqual(p);
    });
  });
}
