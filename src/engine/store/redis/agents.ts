/**
 * Agents in Redis: one hash per portal (agent id -> JSON presence), so reserving an agent for an answered call
 * is one script over one key plus the attempt and the period's tally (all under the portal's hash tag).
 */
import type { AbandonmentTally } from '../../../domain/abandonment.js';
import { ABANDONMENT_PERIOD_MS } from '../../../domain/abandonment.js';
import { countAgents } from '../agents.js';
import type {
  AgentRecord,
  AgentStore,
  AnswerRequest,
  AnswerResult,
  PresenceResult,
  PresenceUpdate,
} from '../agents.js';
import type { RedisContext } from './context.js';

/** A tally outlives its period by the longest period (the monitor shows the last one). */
const TALLY_TTL_MS = 2 * Math.max(...Object.values(ABANDONMENT_PERIOD_MS));

/** Lua's cjson writes an empty array as {}: read any non-array as no logins. */
function decodeAgent(json: string): AgentRecord {
  const a = JSON.parse(json) as AgentRecord;
  if (!Array.isArray(a.campaigns)) a.campaigns = [];
  return a;
}

export class RedisAgents implements AgentStore {
  constructor(
    private readonly ctx: RedisContext,
    private readonly wake: (portalId: string) => Promise<void>,
  ) {}

  async setAgentPresence(portalId: string, agentId: string, update: PresenceUpdate, now: number) {
    const reply = (await this.ctx.run(
      'agent_presence',
      [this.ctx.keys(portalId).agentsHash()],
      [agentId, update.state, update.campaigns ? JSON.stringify(update.campaigns) : '', now],
    )) as [PresenceResult, string];
    const agent = decodeAgent(reply[1]);
    if (agent.state === 'available') await this.wake(portalId);
    return { result: reply[0], agent };
  }

  async getAgent(portalId: string, agentId: string) {
    const raw = await this.ctx.conn.hGet(this.ctx.keys(portalId).agentsHash(), agentId);
    return raw ? decodeAgent(raw) : null;
  }

  async listAgents(portalId: string) {
    const all = await this.ctx.conn.hGetAll(this.ctx.keys(portalId).agentsHash());
    return Object.values(all).map(decodeAgent);
  }

  async agentCounts(portalId: string, campaignId: string) {
    return countAgents(await this.listAgents(portalId), campaignId);
  }

  async answerCall(r: AnswerRequest): Promise<AnswerResult> {
    const k = this.ctx.keys(r.portalId);
    const reply = (await this.ctx.run(
      'agent_answer',
      [
        k.agentsHash(),
        k.attempt(r.attemptId),
        k.abandonTally(r.campaignId, r.periodStart),
        k.abandonedNumbers(),
      ],
      [r.campaignId, r.attemptId, r.contactId, r.to, r.now, r.abandonIfNone ? '1' : '0', TALLY_TTL_MS],
    )) as string[];
    if (reply[0] === 'connected') return { kind: 'connected', agentId: reply[1]! };
    return reply[0] === 'abandoned' ? { kind: 'abandoned' } : { kind: 'none' };
  }

  async endAgentCall(portalId: string, attemptId: string, now: number) {
    const k = this.ctx.keys(portalId);
    const reply = (await this.ctx.run(
      'agent_call_end',
      [k.agentsHash(), k.attempt(attemptId)],
      [attemptId, now],
    )) as string[];
    if (!reply.length) return null;
    if (reply[0] === '') return { abandoned: true as const };
    if (reply[1] === 'available') await this.wake(portalId);
    return { agentId: reply[0]! };
  }

  async finishAgentWrapUp(
    portalId: string,
    agentId: string,
    attemptId: string,
    to: 'available' | 'away',
    now: number,
  ) {
    const changed = await this.ctx.run(
      'agent_wrap_done',
      [this.ctx.keys(portalId).agentsHash()],
      [agentId, attemptId, to, now],
    );
    if (changed === 1 && to === 'available') await this.wake(portalId);
    return changed === 1;
  }

  async abandonmentTally(
    portalId: string,
    campaignId: string,
    periodStart: number,
  ): Promise<AbandonmentTally> {
    const [answered, abandoned] = await this.ctx.conn.hmGet(
      this.ctx.keys(portalId).abandonTally(campaignId, periodStart),
      ['answered', 'abandoned'],
    );
    return { answered: Number(answered ?? 0), abandoned: Number(abandoned ?? 0) };
  }

  async abandonedNumbers(portalId: string, numbers: readonly string[]) {
    const out = new Map<string, number>();
    if (!numbers.length) return out;
    const values = await this.ctx.conn.hmGet(this.ctx.keys(portalId).abandonedNumbers(), [...numbers]);
    numbers.forEach((n, i) => {
      const v = values[i];
      if (v !== null && v !== undefined) out.set(n, Number(v));
    });
    return out;
  }

  async getPredictiveState(portalId: string, campaignId: string) {
    return this.ctx.conn.get(this.ctx.keys(portalId).predictive(campaignId));
  }

  async savePredictiveState(portalId: string, campaignId: string, json: string) {
    await this.ctx.conn.set(this.ctx.keys(portalId).predictive(campaignId), json);
  }
}
