/**
 * Dial-mode capacity: how many calls a campaign may have live right now, before the pacer's own caps.
 * Predictive dialing will implement CapacityPolicy from its answer-rate model; the worker only asks this seam.
 */
import type { CampaignSettings, DialMode } from '../domain/settings.js';

export interface CapacityInput {
  settings: CampaignSettings;
  availableAgents: number;
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
/** Reminders and recorded messages: no agents, paced by calls per second and concurrency only. */
export const messageCapacity: CapacityPolicy = { autoDial: true, maxLive: () => null };

export type CapacityPolicies = Partial<Record<DialMode['mode'], CapacityPolicy>>;

/** Predictive comes with its own issue; until then it dials like progressive (never more lines than agents). */
export function capacityPolicyFor(mode: DialMode['mode'], overrides: CapacityPolicies = {}): CapacityPolicy {
  const override = overrides[mode];
  if (override) return override;
  switch (mode) {
    case 'preview':
      return previewCapacity;
    case 'progressive':
    case 'predictive':
      return progressiveCapacity;
    case 'power':
      return powerCapacity;
    case 'message':
      return messageCapacity;
  }
}
