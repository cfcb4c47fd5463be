/** The memory store's agents part (see agents.ts): the same rules as redis/lua/agent_*.lua, in one process. */
import type { AbandonmentTally } from '../../domain/abandonment.js';
import { countAgents, pickIdleAgent } from './agents.js';
import type {
  AgentRecord,
  AgentStore,
  AnswerRequest,
  AnswerResult,
  PresenceResult,
  PresenceUpdate,
} from './agents.js';

const clone = (a: AgentRecord): AgentRecord => structuredClone(a);

export class MemoryAgents implements AgentStore {
  private readonly agents = new Map<string, Map<string, AgentRecord>>();
  /** portal/attempt -> agent id, or '' when abandoned. */
  private readonly answers = new Map<string, string>();
  private readonly tallies = new Map<string, AbandonmentTally>();
  private readonly abandoned = new Map<string, Map<string, number>>();
  private readonly predictive = new Map<string, string>();

  constructor(private readonly onAvailable: (portalId: string) => void) {}

  private portal(portalId: string) {
    let m = this.agents.get(portalId);
    if (!m) this.agents.set(portalId, (m = new Map()));
    return m;
  }

  async setAgentPresence(portalId: string, agentId: string, update: PresenceUpdate, now: number) {
    const agents = this.portal(portalId);
    const current = agents.get(agentId) ?? { agentId, state: 'offline' as const, since: now, campaigns: [] };
    const next: AgentRecord = { ...current, campaigns: update.campaigns ?? current.campaigns };
    let result: PresenceResult = 'updated';
    if (current.state === 'on-call' || current.state === 'ringing') result = 'on-call';
    else if (current.state === 'wrap-up' && update.state === 'available') result = 'wrap-up-pending';
    else {
      if (next.state !== update.state) next.since = now;
      next.state = update.state;
      delete next.call;
    }
    agents.set(agentId, next);
    if (next.state === 'available') this.onAvailable(portalId);
    return { result, agent: clone(next) };
  }

  async getAgent(portalId: string, agentId: string) {
    const a = this.portal(portalId).get(agentId);
    return a ? clone(a) : null;
  }

  async listAgents(portalId: string) {
    return [...this.portal(portalId).values()].map(clone);
  }

  async agentCounts(portalId: string, campaignId: string) {
    return countAgents([...this.portal(portalId).values()], campaignId);
  }

  async answerCall(r: AnswerRequest): Promise<AnswerResult> {
    const key = `${r.portalId}/${r.attemptId}`;
    const prior = this.answers.get(key);
    if (prior !== undefined)
      return prior === '' ? { kind: 'abandoned' } : { kind: 'connected', agentId: prior };
    const agent = pickIdleAgent([...this.portal(r.portalId).values()], r.campaignId);
    if (!agent && !r.abandonIfNone) return { kind: 'none' };
    const tallyKey = `${r.portalId}/${r.campaignId}/${r.periodStart}`;
    const tally = this.tallies.get(tallyKey) ?? { answered: 0, abandoned: 0 };
    if (agent) {
      agent.state = 'on-call';
      agent.since = r.now;
      agent.call = {
        attemptId: r.attemptId,
        campaignId: r.campaignId,
        contactId: r.contactId,
        connectedAt: r.now,
      };
      this.answers.set(key, agent.agentId);
      this.tallies.set(tallyKey, { answered: tally.answered + 1, abandoned: tally.abandoned });
      return { kind: 'connected', agentId: agent.agentId };
    }
    this.answers.set(key, '');
    this.tallies.set(tallyKey, { answered: tally.answered + 1, abandoned: tally.abandoned + 1 });
    let numbers = this.abandoned.get(r.portalId);
    if (!numbers) this.abandoned.set(r.portalId, (numbers = new Map()));
    numbers.set(r.to, r.now);
    return { kind: 'abandoned' };
  }

  async endAgentCall(portalId: string, attemptId: string, now: number) {
    const agentId = this.answers.get(`${portalId}/${attemptId}`);
    if (agentId === undefined) return null;
    if (agentId === '') return { abandoned: true as const };
    const agent = this.portal(portalId).get(agentId);
    if (!agent || agent.state !== 'on-call' || agent.call?.attemptId !== attemptId) return { agentId };
    agent.since = now;
    if (agent.call.wrapped) {
      agent.state = 'available';
      delete agent.call;
      this.onAvailable(portalId);
    } else {
      agent.state = 'wrap-up';
      agent.call.endedAt = now;
    }
    return { agentId };
  }

  async finishAgentWrapUp(
    portalId: string,
    agentId: string,
    attemptId: string,
    to: 'available' | 'away',
    now: number,
  ) {
    const agent = this.portal(portalId).get(agentId);
    if (!agent || agent.call?.attemptId !== attemptId) return false;
    if (agent.state === 'on-call') {
      if (to !== 'available' || agent.call.wrapped) return false;
      agent.call.wrapped = true;
      return true;
    }
    if (agent.state !== 'wrap-up') return false;
    agent.state = to;
    agent.since = now;
    delete agent.call;
    if (to === 'available') this.onAvailable(portalId);
    return true;
  }

  async abandonmentTally(portalId: string, campaignId: string, periodStart: number) {
    return {
      ...(this.tallies.get(`${portalId}/${campaignId}/${periodStart}`) ?? { answered: 0, abandoned: 0 }),
    };
  }

  async abandonedNumbers(portalId: string, numbers: readonly string[]) {
    const known = this.abandoned.get(portalId);
    const out = new Map<string, number>();
    for (const n of numbers) {
      const at = known?.get(n);
      if (at !== undefined) out.set(n, at);
    }
    return out;
  }

  async getPredictiveState(portalId: string, campaignId: string) {
    return this.predictive.get(`${portalId}/${campaignId}`) ?? null;
  }

  async savePredictiveState(portalId: string, campaignId: string, json: string) {
    this.predictive.set(`${portalId}/${campaignId}`, json);
  }
}
