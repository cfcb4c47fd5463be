/**
 * One contract for the agents part of every Store adapter (presence, logins, reserving an agent for an
 * answered call, the abandonment tally, wrap-up): the memory store and the Redis store behave identically.
 */
import { describe, it, expect, beforeEach, afterAll } from '@jest/globals';
import fc from 'fast-check';
import type { Store } from '../../src/engine/store/store.js';
import { campaignRecord } from './store-contract.js';
import type { StoreHarness } from './store-contract.js';

const T0 = Date.UTC(2030, 0, 7, 15, 0, 0);

export function agentStoreContract(name: string, makeHarness: () => Promise<StoreHarness>): void {
  describe(`Agent store contract: ${name}`, () => {
    let store: Store;
    let portal: string;
    const harnesses: StoreHarness[] = [];
    let seq = 0;

    beforeEach(async () => {
      const h = await makeHarness();
      harnesses.push(h);
      store = h.store;
      portal = h.portalId;
    });

    afterAll(async () => {
      for (const x of harnesses) await x.cleanup();
    });

    /** A campaign with `n` dial-requested attempts (the answer script only decides for a known attempt). */
    async function campaignWithAttempts(n: number) {
      const campaignId = `camp${++seq}`;
      const base = 5_000_000 + seq * 10; // numbers unique across campaigns (one live call per number)
      await store.createCampaign(campaignRecord(portal, campaignId));
      const rows = Array.from({ length: n }, (_, i) => ({
        contactId: `k${seq}-${i}`,
        e164: `+1212${base + i}`,
        dueAt: T0,
      }));
      await store.enroll(portal, campaignId, rows, [], T0);
      const leads = await store.peekDue(portal, campaignId, T0, n);
      const result = await store.claimBatch({
        portalId: portal,
        campaignId,
        now: T0,
        candidates: leads.map((l) => ({
          contactId: l.contactId,
          expectRev: l.rev,
          attemptId: `att${++seq}`,
          from: '+15550001000',
        })),
        claimLeaseUntil: T0 + 15_000,
        dialLeaseUntil: T0 + 60_000,
        maxLive: null,
        busyRetryMs: 30_000,
        amd: false,
      });
      expect(result.granted).toHaveLength(n);
      return { campaignId, attempts: result.granted };
    }

    const answer = (
      campaignId: string,
      a: { attemptId: string; contactId: string; to: string },
      abandon = false,
    ) =>
      store.answerCall({
        portalId: portal,
        campaignId,
        attemptId: a.attemptId,
        contactId: a.contactId,
        to: a.to,
        now: T0 + 1000,
        periodStart: T0,
        abandonIfNone: abandon,
      });

    it('keeps presence and logins; counts idle agents per campaign', async () => {
      const login = [{ campaignId: 'c1', priority: 1 }];
      const r = await store.setAgentPresence(portal, 'ann', { state: 'available', campaigns: login }, T0);
      expect(r.result).toBe('updated');
      expect(r.agent).toMatchObject({ agentId: 'ann', state: 'available', since: T0, campaigns: login });
      await store.setAgentPresence(
        portal,
        'bob',
        { state: 'away', campaigns: [...login, { campaignId: 'c2', priority: 2 }] },
        T0,
      );
      await store.setAgentPresence(portal, 'cy', { state: 'available', campaigns: [] }, T0);
      expect(await store.agentCounts(portal, 'c1')).toEqual({
        loggedIn: 2,
        idle: 1,
        ringing: 0,
        talking: 0,
        wrapping: 0,
        away: 1,
      });
      expect((await store.agentCounts(portal, 'c2')).idle).toBe(0);
      // logins kept when not given
      const again = await store.setAgentPresence(portal, 'bob', { state: 'available' }, T0 + 5);
      expect(again.agent.campaigns).toHaveLength(2);
      expect(again.agent.since).toBe(T0 + 5);
      expect((await store.getAgent(portal, 'cy'))!.campaigns).toEqual([]);
      expect((await store.listAgents(portal)).map((a) => a.agentId).sort()).toEqual(['ann', 'bob', 'cy']);
      expect(await store.getAgent(portal, 'nobody')).toBeNull();
    });

    it('an answered call reserves one idle agent (best priority first), counted once; none left: abandoned', async () => {
      const { campaignId, attempts } = await campaignWithAttempts(3);
      await store.setAgentPresence(
        portal,
        'low',
        { state: 'available', campaigns: [{ campaignId, priority: 5 }] },
        T0,
      );
      await store.setAgentPresence(
        portal,
        'top',
        { state: 'available', campaigns: [{ campaignId, priority: 1 }] },
        T0,
      );
      const [a1, a2, a3] = attempts as [(typeof attempts)[0], (typeof attempts)[0], (typeof attempts)[0]];
      expect(await answer(campaignId, a1)).toEqual({ kind: 'connected', agentId: 'top' });
      expect(await answer(campaignId, a1)).toEqual({ kind: 'connected', agentId: 'top' }); // idempotent
      const top = (await store.getAgent(portal, 'top'))!;
      expect(top.state).toBe('on-call');
      expect(top.call).toMatchObject({ attemptId: a1.attemptId, contactId: a1.contactId, campaignId });
      // the agent on a call cannot be made available by its presence
      expect((await store.setAgentPresence(portal, 'top', { state: 'available' }, T0)).result).toBe(
        'on-call',
      );
      expect(await answer(campaignId, a2)).toEqual({ kind: 'connected', agentId: 'low' });
      expect(await answer(campaignId, a3)).toEqual({ kind: 'none' });
      expect(await store.abandonmentTally(portal, campaignId, T0)).toEqual({ answered: 2, abandoned: 0 });
      expect(await answer(campaignId, a3, true)).toEqual({ kind: 'abandoned' });
      expect(await answer(campaignId, a3, true)).toEqual({ kind: 'abandoned' });
      expect(await store.abandonmentTally(portal, campaignId, T0)).toEqual({ answered: 3, abandoned: 1 });
      expect(await store.abandonmentTally(portal, campaignId, T0 + 1)).toEqual({ answered: 0, abandoned: 0 });
      expect(await store.endAgentCall(portal, a3.attemptId, T0 + 5000)).toEqual({ abandoned: true });
      const abandoned = await store.abandonedNumbers(portal, [a3.to, a1.to]);
      expect([...abandoned]).toEqual([[a3.to, T0 + 1000]]);
      expect(await store.agentCounts(portal, campaignId)).toMatchObject({ idle: 0, talking: 2 });
    });

    it('wrap-up: the call end moves the agent to wrap-up; the disposition or the time limit ends it', async () => {
      const { campaignId, attempts } = await campaignWithAttempts(2);
      const [a1, a2] = attempts as [(typeof attempts)[0], (typeof attempts)[0]];
      await store.setAgentPresence(
        portal,
        'ann',
        { state: 'available', campaigns: [{ campaignId, priority: 1 }] },
        T0,
      );
      await answer(campaignId, a1);
      expect(await store.endAgentCall(portal, a1.attemptId, T0 + 60_000)).toEqual({ agentId: 'ann' });
      expect(await store.endAgentCall(portal, a1.attemptId, T0 + 61_000)).toEqual({ agentId: 'ann' }); // replay: no change
      const wrapping = (await store.getAgent(portal, 'ann'))!;
      expect(wrapping).toMatchObject({ state: 'wrap-up', since: T0 + 60_000 });
      expect(wrapping.call).toMatchObject({ attemptId: a1.attemptId, endedAt: T0 + 60_000 });
      expect((await store.setAgentPresence(portal, 'ann', { state: 'available' }, T0)).result).toBe(
        'wrap-up-pending',
      );
      expect(await store.finishAgentWrapUp(portal, 'ann', 'other', 'available', T0)).toBe(false);
      expect(await store.finishAgentWrapUp(portal, 'ann', a1.attemptId, 'away', T0 + 180_000)).toBe(true);
      expect(await store.getAgent(portal, 'ann')).toMatchObject({ state: 'away', since: T0 + 180_000 });
      expect((await store.getAgent(portal, 'ann'))!.call).toBeUndefined();
      // a wrap-up during the call: available as soon as it ends
      await store.setAgentPresence(portal, 'ann', { state: 'available' }, T0 + 200_000);
      await answer(campaignId, a2);
      expect(await store.finishAgentWrapUp(portal, 'ann', a2.attemptId, 'available', T0 + 201_000)).toBe(
        true,
      );
      expect((await store.getAgent(portal, 'ann'))!.state).toBe('on-call');
      expect(await store.endAgentCall(portal, a2.attemptId, T0 + 202_000)).toEqual({ agentId: 'ann' });
      expect((await store.getAgent(portal, 'ann'))!.state).toBe('available');
      expect(await store.endAgentCall(portal, 'no-such-attempt', T0)).toBeNull();
    });

    it('never gives one agent two calls, whatever the order of concurrent answers', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 5 }),
          async (agents, calls) => {
            const { campaignId, attempts } = await campaignWithAttempts(calls);
            for (let i = 0; i < agents; i++) {
              await store.setAgentPresence(
                portal,
                `${campaignId}-ag${i}`,
                { state: 'available', campaigns: [{ campaignId, priority: 1 }] },
                T0,
              );
            }
            const results = await Promise.all(attempts.map((a) => answer(campaignId, a, true)));
            const connected = results.flatMap((r) => (r.kind === 'connected' ? [r.agentId] : []));
            expect(new Set(connected).size).toBe(connected.length);
            expect(connected).toHaveLength(Math.min(agents, calls));
            expect(await store.abandonmentTally(portal, campaignId, T0)).toEqual({
              answered: calls,
              abandoned: Math.max(0, calls - agents),
            });
          },
        ),
        { numRuns: 15, seed: 13 },
      );
    });

    it('keeps the predictive state per campaign', async () => {
      expect(await store.getPredictiveState(portal, 'cX')).toBeNull();
      await store.savePredictiveState(portal, 'cX', '{"k":1}');
      expect(await store.getPredictiveState(portal, 'cX')).toBe('{"k":1}');
    });
  });
}
