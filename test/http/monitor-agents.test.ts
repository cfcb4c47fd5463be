/** The monitor's snapshot carries each agents' campaign's agents by state, pacing (fallback reason) and period. */
import { describe, it, expect } from '@jest/globals';
import { createLiveSnapshot } from '../../src/http/monitor/live-snapshot.js';
import { MemoryStore } from '../../src/engine/store/memory-store.js';

describe('monitor snapshot: agents and pacing', () => {
  it('shows agents by state, the predictive fallback and its reason, and the abandonment period', async () => {
    const store = new MemoryStore();
    await store.append('9', {
      type: 'attempt.started',
      portalId: '9',
      campaignId: 'c1',
      attemptId: 'a.9.x',
      contactId: 'k1',
      to: '+12125550001',
      from: '+12125550000',
      attempt: 1,
      dueAt: 1,
      at: 1,
    });
    const agents = { loggedIn: 9, idle: 2, ringing: 0, talking: 5, wrapping: 1, away: 1 };
    const pacing = {
      mode: 'progressive' as const,
      fallback: 'NO_HEADROOM',
      reason: 'no abandonment headroom',
    };
    const live = createLiveSnapshot({
      eventLog: store,
      portalId: '9',
      blockMs: 10,
      campaignInfo: (id) =>
        id === 'c1'
          ? { agents, pacing, abandonmentPeriod: { periodStart: 0, answered: 40, abandoned: 1 } }
          : undefined,
    });
    await live.ready;
    const view = live.snapshot().campaigns.c1!;
    expect(view.agents).toEqual(agents);
    expect(view.pacing).toEqual(pacing);
    expect(view.abandonmentPeriod).toEqual({ periodStart: 0, answered: 40, abandoned: 1 });
    await live.stop();
    await store.close();
  });
});
