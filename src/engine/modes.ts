/**
 * Dial-mode capacity: how many calls a campaign may have live right now, before the pacer's own caps.
 * Predictive dialing will implement CapacityPolicy from its answer-rate model; the worker only asks this seam.
 */
import type { AbandonmentTally } from '../domain/abandonment.js';
import { predictiveCapacity } from '../domain/predictive.js';
import type { CallEstimates, PredictiveDecision } from '../domain/predictive.js';
import type { CampaignSettings, DialMode } from '../domain/settings.js';
import type { AgentCounts } from './store/agents.js';

/** What predictive pacing reads besides the agents: the period's tally and what the campaign learned. */
export interface PredictiveInputs {
  tally: AbandonmentTally;
  estimates: CallEstimates;
  aggressiveness: number;
}

export interface CapacityInput {
  settings: CampaignSettings;
  /** Idle agents logged in to the campaign (each can take an answered call at once). */
  availableAgents: number;
  /** The campaign's agents by state (agents' campaigns). */
  agents?: AgentCounts;
  /** Predictive campaigns only. */
  predictive?: PredictiveInputs;
}

export interface CapacityPolicy {
  /** Most live attempts the campaign may have now; null = only the pacer's concurrency cap applies. */
  maxLive(input: CapacityInput): number | null;
  /** False when the worker must not dial on its own (preview: a rep claims each lead). */
  readonly autoDial: boolean;
}

export const previewCapacity: CapacityPolicy = { autoDial: false, maxLive: () => 0 };
/** One call per available agent. */
export const progressiveCapacity: CapacityPolicy = { autoDial: true, maxLive: (i) => i.availableAgents };
/** `linesPerAgent` calls per available agent. */
export const powerCapacity: CapacityPolicy = {
  autoDial: true,
  maxLive: (i) =>
    i.availableAgents * (i.settings.dialMode.mode === 'power' ? i.settings.dialMode.linesPerAgent : 1),
};
/**
 * Predictive: the domain's controller (src/domain/predictive.ts) over the period's tally, the campaign's
 * estimates and its agents. Its result counts lines not yet connected; the dispatcher adds the calls already
 * connected to an agent. Without its inputs it dials like progressive (reason LEARNING).
 */
export function predictiveDecision(i: CapacityInput): PredictiveDecision {
  const idle = i.availableAgents;
  const agents = i.agents;
  const p = i.predictive;
  if (!p || !agents || i.settings.dialMode.mode !== 'predictive') {
    return { mode: 'progressive', maxLive: idle, fallback: 'LEARNING', reason: 'no predictive inputs yet' };
  }
  return predictiveCapacity({
    limitPct: i.settings.dialMode.maxAbandonRatePct,
    tally: p.tally,
    // an agent set away does not take calls: only those present count as logged in
    agentsLoggedIn: agents.loggedIn - agents.away,
    agentsIdle: idle,
    agentsTalking: agents.talking,
    agentsWrapping: agents.wrapping,
    estimates: p.estimates,
    aggressiveness: p.aggressiveness,
  });
}

export const predictiveCapacityPolicy: CapacityPolicy = {
  autoDial: true,
  maxLive: (i) => predictiveDecision(i).maxLive,
};

/** Reminders and recorded messages: no agents, paced by calls per second and concurrency only. */
export const messageCapacity: CapacityPolicy = { autoDial: true, maxLive: () => null };

export type CapacityPolicies = Partial<Record<DialMode['mode'], CapacityPolicy>>;

/** The capacity policy of a dial mode (a test or tool may override any). */
export function capacityPolicyFor(mode: DialMode['mode'], overrides: CapacityPolicies = {}): CapacityPolicy {
  const override = overrides[mode];
  if (override) return override;
  switch (mode) {
    case 'preview':
      return previewCapacity;
    case 'progressive':
      return progressiveCapacity;
    case 'predictive':
      return predictiveCapacityPolicy;
    case 'power':
      return powerCapacity;
    case 'message':
      return messageCapacity;
  }
}
