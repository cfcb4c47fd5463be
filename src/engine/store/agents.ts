/**
 * The agents part of the storage port: each agent's presence (one record per agent of a portal), the campaigns
 * they are logged in to, the reservation of an idle agent for an answered call (atomic with the period's
 * abandonment tally), and the per-campaign predictive estimates. Both adapters pass test/engine/agent-store-contract.ts.
 */
import type { AbandonmentTally } from '../../domain/abandonment.js';

export const AGENT_STATES = ['available', 'ringing', 'on-call', 'wrap-up', 'away', 'offline'] as const;
export type AgentState = (typeof AGENT_STATES)[number];

/** States an agent (or the API on their behalf) may set; the others are the engine's (a call, its wrap-up). */
export const SETTABLE_AGENT_STATES = ['available', 'away', 'offline'] as const;
export type SettableAgentState = (typeof SETTABLE_AGENT_STATES)[number];

/** A campaign an agent is logged in to; a lower priority number is served first. */
export interface AgentLogin {
  campaignId: string;
  priority: number;
}

/** The call an agent is on or wrapping up (the screen pop shows its contact). */
export interface AgentCall {
  attemptId: string;
  campaignId: string;
  contactId: string;
  /** When the lead was bridged to the agent. */
  connectedAt: number;
  /** When the call ended (wrap-up started). */
  endedAt?: number;
  /** A wrap-up arrived while the call was still up: the agent is available as soon as it ends. */
  wrapped?: boolean;
}

export interface AgentRecord {
  agentId: string;
  state: AgentState;
  /** When the agent entered `state`. */
  since: number;
  campaigns: AgentLogin[];
  call?: AgentCall;
}

/** One campaign's logged-in agents by state (agents logged in to several campaigns count in each). */
export interface AgentCounts {
  loggedIn: number;
  idle: number;
  ringing: number;
  talking: number;
  wrapping: number;
  away: number;
}

export const EMPTY_AGENT_COUNTS = (): AgentCounts => ({
  loggedIn: 0,
  idle: 0,
  ringing: 0,
  talking: 0,
  wrapping: 0,
  away: 0,
});

/** Counts the agents of `campaignId` by state (shared by both adapters and the monitor). */
export function countAgents(agents: readonly AgentRecord[], campaignId: string): AgentCounts {
  const counts = EMPTY_AGENT_COUNTS();
  for (const a of agents) {
    if (a.state === 'offline' || !a.campaigns.some((c) => c.campaignId === campaignId)) continue;
    counts.loggedIn++;
    if (a.state === 'available') counts.idle++;
    else if (a.state === 'ringing') counts.ringing++;
    else if (a.state === 'on-call') counts.talking++;
    else if (a.state === 'wrap-up') counts.wrapping++;
    else counts.away++;
  }
  return counts;
}

export interface PresenceUpdate {
  state: SettableAgentState;
  /** Replaces the agent's logins when given; kept as they are when absent. */
  campaigns?: AgentLogin[];
}

/**
 * updated: as asked; on-call: the agent is on a call, only the logins changed (the state follows when the
 * call ends); wrap-up-pending: `available` needs the disposition first (away/offline are allowed).
 */
export type PresenceResult = 'updated' | 'on-call' | 'wrap-up-pending';

export interface AnswerRequest {
  portalId: string;
  campaignId: string;
  attemptId: string;
  contactId: string;
  /** The callee's number (remembered when the call is abandoned: Ofcom's 72 h quiet time). */
  to: string;
  now: number;
  /** Start of the campaign's abandonment period that holds `now` (the tally's key). */
  periodStart: number;
  /** No idle agent: abandon the call (count it) instead of answering `none`. */
  abandonIfNone: boolean;
}

/**
 * connected: this agent was reserved (now on-call with this call) and the answer counted; abandoned: counted
 * as answered and abandoned; none: no idle agent and `abandonIfNone` unset (nothing changed). The first
 * decision for an attempt sticks: asking again answers the same.
 */
export type AnswerResult = { kind: 'connected'; agentId: string } | { kind: 'abandoned' } | { kind: 'none' };

export type AgentCallEnd = { agentId: string } | { abandoned: true } | null;

export interface AgentStore {
  /** An agent's own presence and campaign logins (see PresenceResult). */
  setAgentPresence(
    portalId: string,
    agentId: string,
    update: PresenceUpdate,
    now: number,
  ): Promise<{ result: PresenceResult; agent: AgentRecord }>;
  getAgent(portalId: string, agentId: string): Promise<AgentRecord | null>;
  listAgents(portalId: string): Promise<AgentRecord[]>;
  agentCounts(portalId: string, campaignId: string): Promise<AgentCounts>;
  /**
   * A person answered: reserve the idle agent logged in to the campaign with its best priority (the longest
   * idle first), or abandon; counted in the period's tally in the same atomic step. Idempotent per attempt.
   */
  answerCall(request: AnswerRequest): Promise<AnswerResult>;
  /**
   * The attempt's call ended: its agent goes on-call -> wrap-up (or straight to available when the wrap-up
   * came during the call). Says who took the call, or that it was abandoned; null when no person answered.
   */
  endAgentCall(portalId: string, attemptId: string, now: number): Promise<AgentCallEnd>;
  /**
   * The agent's wrap-up of this call arrived (`available`), or its time ran out (`away`). Only moves an agent
   * still on this call; a wrap-up during the call is remembered for its end. False when nothing changed.
   */
  finishAgentWrapUp(
    portalId: string,
    agentId: string,
    attemptId: string,
    to: 'available' | 'away',
    now: number,
  ): Promise<boolean>;
  /** The answered/abandoned counts of one campaign period. */
  abandonmentTally(portalId: string, campaignId: string, periodStart: number): Promise<AbandonmentTally>;
  /** When each number's last call was abandoned (numbers never abandoned: absent). */
  abandonedNumbers(portalId: string, numbers: readonly string[]): Promise<Map<string, number>>;
  /** The campaign's predictive estimates and aggressiveness (JSON), last writer wins. */
  getPredictiveState(portalId: string, campaignId: string): Promise<string | null>;
  savePredictiveState(portalId: string, campaignId: string, json: string): Promise<void>;
}

/** The idle agent of `campaignId` an answered call goes to: best priority, then the longest idle. */
export function pickIdleAgent(agents: readonly AgentRecord[], campaignId: string): AgentRecord | null {
  let best: AgentRecord | null = null;
  let bestPriority = Infinity;
  for (const a of agents) {
    if (a.state !== 'available') continue;
    const login = a.campaigns.find((c) => c.campaignId === campaignId);
    if (!login) continue;
    const better =
      login.priority < bestPriority ||
      (login.priority === bestPriority &&
        best !== null &&
        (a.since < best.since || (a.since === best.since && a.agentId < best.agentId)));
    if (better) {
      best = a;
      bestPriority = login.priority;
    }
  }
  return best;
}
