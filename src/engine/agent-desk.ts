/**
 * Agents in the engine: their presence (set by the agent or the API), the routing of an answered call to an
 * idle agent's pinned conference within 2 s (or the safe-harbor message, counted as abandoned), the wrap-up an
 * agent owes after each call and its time limit, and the predictive estimates folded from finished calls.
 */
import { z } from 'zod';
import { periodStart } from '../domain/abandonment.js';
import type { AbandonmentRule } from '../domain/abandonment.js';
import {
  DEFAULT_PREDICTIVE_TUNING,
  NO_ESTIMATES,
  nextAggressiveness,
  recordDial,
  recordHandled,
} from '../domain/predictive.js';
import type { CallEstimates } from '../domain/predictive.js';
import { DEFAULT_WRAP_UP_LIMIT_SEC } from '../domain/settings.js';
import type { CampaignSettings, Message } from '../domain/settings.js';
import { routesToAgents } from './call-flow.js';
import { EngineInputError } from './campaigns.js';
import { LruCache } from './lru.js';
import type { EngineContext } from './context.js';
import { SETTABLE_AGENT_STATES } from './store/agents.js';
import type { AgentRecord, PresenceResult } from './store/agents.js';
import type { AttemptRecord, CampaignRecord } from './store/store.js';

/** A person who answers hears an agent within this, or the safe-harbor message (and the call counts). */
export const CONNECT_WITHIN_MS = 2000;
/** While no agent is free, the answered call asks again this often (an agent finishing a wrap-up takes it). */
const RETRY_EVERY_MS = 250;

/** The pinned conference of one agent (one per agent and portal, reused for every lead). */
export function agentConferenceName(portalId: string, agentId: string): string {
  return `autodial-${portalId}-${agentId}`.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** The abandonment rule whose periods count a campaign's abandoned calls. */
export function abandonmentRuleOf(settings: CampaignSettings): AbandonmentRule {
  return settings.dialMode.mode === 'predictive' ? settings.dialMode.abandonmentRule : 'ftc-30d';
}

/** The abandonment limit (percent) of a campaign; modes without one are held to the legal 3 %. */
export function abandonmentLimitOf(settings: CampaignSettings): number {
  return settings.dialMode.mode === 'predictive' ? settings.dialMode.maxAbandonRatePct : 3;
}

/** Start of the campaign's abandonment period holding `now` (periods run from the campaign's creation). */
export function campaignPeriodStart(campaign: CampaignRecord, now: number): number {
  return periodStart(abandonmentRuleOf(campaign.settings), campaign.createdAt, now);
}

/** The safe-harbor message: the campaign's own, or one that names the caller and gives a call-back number. */
export function safeHarborMessageFor(settings: CampaignSettings, callerId: string): Message {
  if (settings.safeHarborMessage) return settings.safeHarborMessage;
  const digits = callerId.replace(/^\+1/, '').split('').join(' ');
  return {
    say:
      `Hello, this is ${settings.name}. We called to speak with you but nobody was free to take the call. ` +
      `Please call us back at ${digits}. To stop our calls, call that number and ask to be put on our ` +
      'do-not-call list. Goodbye.',
  };
}

/** What the campaign learned about its calls (persisted per campaign). */
export interface PredictiveState {
  estimates: CallEstimates;
  aggressiveness: number;
}

export const INITIAL_PREDICTIVE_STATE: PredictiveState = {
  estimates: NO_ESTIMATES,
  aggressiveness: DEFAULT_PREDICTIVE_TUNING.initialAggressiveness,
};

const PresenceSchema = z.object({
  state: z.enum(SETTABLE_AGENT_STATES),
  campaigns: z
    .array(
      z.object({
        campaignId: z.string().min(1).max(200),
        priority: z.number().int().min(0).max(100).default(1),
      }),
    )
    .max(50)
    .refine((list) => new Set(list.map((c) => c.campaignId)).size === list.length, 'a campaign appears twice')
    .optional(),
});
export type PresenceInput = z.input<typeof PresenceSchema>;

/** An agent as the dialer card shows it: presence, its conference, and the contact of its call (screen pop). */
export interface AgentView extends AgentRecord {
  conference: string;
  /** The contact of the call the agent is on or wrapping up. */
  screenPop?: { campaignId: string; contactId: string; attemptId: string; number?: string };
}

export class AgentDesk {
  /**
   * Per process: when each routed attempt was answered (the line-time estimate). Bounded: an attempt another
   * process finishes never comes back to drop its entry.
   */
  private readonly answeredAt = new LruCache<string, number>(10_000);

  constructor(private readonly ctx: EngineContext) {}

  /** An agent's presence and logins (bad input: EngineInputError naming the field). */
  async setPresence(
    portalId: string,
    agentId: string,
    input: unknown,
  ): Promise<{ result: PresenceResult; agent: AgentView }> {
    if (typeof agentId !== 'string' || !agentId || agentId.length > 200) {
      throw new EngineInputError('agentId must be a non-empty string of at most 200 characters');
    }
    const parsed = PresenceSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new EngineInputError(`presence ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    const { state, campaigns } = parsed.data;
    const r = await this.ctx.store.setAgentPresence(
      portalId,
      agentId,
      { state, ...(campaigns ? { campaigns } : {}) },
      this.ctx.clock.now(),
    );
    return { result: r.result, agent: await this.view(portalId, r.agent) };
  }

  async getAgent(portalId: string, agentId: string): Promise<AgentView | null> {
    const agent = await this.ctx.store.getAgent(portalId, agentId);
    return agent ? this.view(portalId, agent) : null;
  }

  private async view(portalId: string, agent: AgentRecord): Promise<AgentView> {
    const view: AgentView = { ...agent, conference: agentConferenceName(portalId, agent.agentId) };
    if (agent.call) {
      const lead = await this.ctx.store.getLead(portalId, agent.call.campaignId, agent.call.contactId);
      view.screenPop = {
        campaignId: agent.call.campaignId,
        contactId: agent.call.contactId,
        attemptId: agent.call.attemptId,
        ...(lead ? { number: lead.e164 } : {}),
      };
    }
    return view;
  }

  /**
   * A person answered an agents'-campaign call: reserve an idle agent and bridge the lead into its conference;
   * nobody free within CONNECT_WITHIN_MS: the safe-harbor message, counted as abandoned.
   */
  async routeAnswered(
    campaign: CampaignRecord,
    attempt: AttemptRecord,
    providerCallId: string,
  ): Promise<void> {
    const { store, clock, telephony } = this.ctx;
    const answeredAt = clock.now();
    this.answeredAt.set(attempt.attemptId, answeredAt);
    const deadline = answeredAt + CONNECT_WITHIN_MS;
    for (;;) {
      const now = clock.now();
      const last = now + RETRY_EVERY_MS > deadline;
      const result = await store.answerCall({
        portalId: attempt.portalId,
        campaignId: attempt.campaignId,
        attemptId: attempt.attemptId,
        contactId: attempt.contactId,
        to: attempt.to,
        now,
        periodStart: campaignPeriodStart(campaign, now),
        abandonIfNone: last,
      });
      if (result.kind === 'none') {
        await clock.sleep(Math.min(RETRY_EVERY_MS, deadline - now));
        continue;
      }
      await this.learnFromAnswer(campaign, result.kind === 'abandoned', now);
      const route =
        result.kind === 'connected'
          ? {
              kind: 'agent' as const,
              agentId: result.agentId,
              conference: agentConferenceName(attempt.portalId, result.agentId),
            }
          : { kind: 'safe-harbor' as const, message: safeHarborMessageFor(campaign.settings, attempt.from) };
      if (!telephony.routeAnswered) throw new Error('the carrier cannot route answered calls to agents');
      await telephony.routeAnswered(providerCallId, route);
      return;
    }
  }

  /**
   * The attempt is finishing: its agent (if one took it) moves to wrap-up, and the call's line time is folded
   * into the campaign's estimates. Returns whether the call was abandoned (the outcome is then ABANDONED).
   */
  async callEnded(campaign: CampaignRecord, attempt: AttemptRecord): Promise<{ abandoned: boolean }> {
    if (!routesToAgents(campaign.settings)) return { abandoned: false };
    const now = this.ctx.clock.now();
    const end = await this.ctx.store.endAgentCall(attempt.portalId, attempt.attemptId, now);
    const answeredAt = this.answeredAt.get(attempt.attemptId);
    const human = end !== null;
    const dialedAt = attempt.dialRequestedAt ?? attempt.claimedAt;
    const lineMs = Math.max(0, (human && answeredAt !== undefined ? answeredAt : now) - dialedAt);
    await this.updatePredictive(campaign, (s) => ({
      ...s,
      estimates: recordDial(s.estimates, human, lineMs),
    }));
    return { abandoned: end !== null && 'abandoned' in end };
  }

  /** The agent's wrap-up of this attempt arrived: the agent is available again. */
  async wrapUpArrived(portalId: string, attemptId: string): Promise<void> {
    const agents = await this.ctx.store.listAgents(portalId);
    const agent = agents.find((a) => a.call?.attemptId === attemptId);
    if (!agent) return;
    const now = this.ctx.clock.now();
    const wrapping = agent.state === 'wrap-up';
    if (await this.ctx.store.finishAgentWrapUp(portalId, agent.agentId, attemptId, 'available', now)) {
      if (wrapping) await this.learnHandled(portalId, agent, now);
    }
  }

  /**
   * Agents past their campaign's wrap-up limit are set away (the attempt stays not dispositioned). Returns
   * when the next limit ends (Infinity when nobody is wrapping up).
   */
  async expireWrapUps(portalId: string, campaigns: readonly CampaignRecord[]): Promise<number> {
    const now = this.ctx.clock.now();
    let next = Infinity;
    const byId = new Map(campaigns.map((c) => [c.campaignId, c]));
    for (const agent of await this.ctx.store.listAgents(portalId)) {
      if (agent.state !== 'wrap-up' || !agent.call) continue;
      const campaign = byId.get(agent.call.campaignId);
      const limitMs = (campaign?.settings.wrapUpLimitSec ?? DEFAULT_WRAP_UP_LIMIT_SEC) * 1000;
      const endsAt = agent.since + limitMs;
      if (endsAt > now) {
        next = Math.min(next, endsAt);
        continue;
      }
      const moved = await this.ctx.store.finishAgentWrapUp(
        portalId,
        agent.agentId,
        agent.call.attemptId,
        'away',
        now,
      );
      if (moved) await this.learnHandled(portalId, agent, now);
    }
    return next;
  }

  async predictiveState(portalId: string, campaignId: string): Promise<PredictiveState> {
    const json = await this.ctx.store.getPredictiveState(portalId, campaignId);
    if (!json) return INITIAL_PREDICTIVE_STATE;
    try {
      return { ...INITIAL_PREDICTIVE_STATE, ...(JSON.parse(json) as Partial<PredictiveState>) };
    } catch {
      return INITIAL_PREDICTIVE_STATE;
    }
  }

  /** Last writer wins: two workers folding at once may lose a sample, never break the abandonment cap. */
  private async updatePredictive(campaign: CampaignRecord, change: (s: PredictiveState) => PredictiveState) {
    if (campaign.settings.dialMode.mode !== 'predictive') return;
    const { portalId, campaignId } = campaign;
    const next = change(await this.predictiveState(portalId, campaignId));
    await this.ctx.store.savePredictiveState(portalId, campaignId, JSON.stringify(next));
  }

  private async learnFromAnswer(campaign: CampaignRecord, abandoned: boolean, now: number) {
    if (campaign.settings.dialMode.mode !== 'predictive') return;
    const tally = await this.ctx.store.abandonmentTally(
      campaign.portalId,
      campaign.campaignId,
      campaignPeriodStart(campaign, now),
    );
    const limit = abandonmentLimitOf(campaign.settings);
    await this.updatePredictive(campaign, (s) => ({
      ...s,
      aggressiveness: nextAggressiveness(s.aggressiveness, abandoned, limit, tally),
    }));
  }

  private async learnHandled(portalId: string, agent: AgentRecord, now: number) {
    const call = agent.call!;
    const campaign = await this.ctx.campaignCache.get(portalId, call.campaignId);
    if (!campaign) return;
    const endedAt = call.endedAt ?? agent.since;
    const wrapMs = Math.max(0, now - endedAt);
    const handleMs = Math.max(0, now - call.connectedAt);
    await this.updatePredictive(campaign, (s) => ({
      ...s,
      estimates: recordHandled(s.estimates, handleMs, wrapMs),
    }));
  }
}
