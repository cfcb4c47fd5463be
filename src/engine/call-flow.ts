/**
 * What a call does once answered, and the carrier request for an attempt: the one rule shared by the engine's
 * dials and the TwiML the carrier fetches later (src/app/twiml-for.ts).
 */
import { E164Schema } from '../domain/settings.js';
import type { CampaignSettings } from '../domain/settings.js';
import type { CallFlow, DialRequest } from '../telephony/telephony.js';
import type { AttemptRecord } from './store/store.js';

/** Where a portal's agents answer: agent id -> E.164 (undefined when unknown). */
export type AgentDirectory = (portalId: string, agentId: string) => string | undefined;

/** The hidden per-portal campaign that carries reps' click-to-call attempts (see click-to-call.ts). */
export const MANUAL_CAMPAIGN_ID = 'manual';

/** The kind of call a campaign makes, as the outcome classification sees it. */
export function flowKind(settings: CampaignSettings): 'connect' | 'reminder' | 'message' {
  if (settings.dialMode.mode !== 'message') return 'connect';
  return settings.gatherConfirmation ? 'reminder' : 'message';
}

/** The connect-to target as phone numbers; an agent is looked up, and never put into <Number> as an id. */
function connectTargets(
  settings: CampaignSettings,
  agentId: string | undefined,
  agentNumber: ((agentId: string) => string | undefined) | undefined,
): string[] {
  const to = settings.connectTo;
  if (to?.type === 'number') return [to.number];
  if (to?.type === 'hunt-group') return to.numbers;
  const id = agentId ?? (to?.type === 'agent' ? to.agentId : undefined);
  const number = id !== undefined ? agentNumber?.(id) : undefined;
  return number !== undefined && E164Schema.safeParse(number).success ? [number] : [];
}

/** What an answered call does in a campaign: the one rule for the engine's dials and Twilio's TwiML fetches. */
export function callFlowFor(
  settings: CampaignSettings,
  agentId?: string,
  agentNumber?: (agentId: string) => string | undefined,
): CallFlow {
  if (settings.dialMode.mode === 'message') {
    // Key 2 of a reminder asks for a person: the campaign's connect-to target, when it has one.
    const transferTo = settings.gatherConfirmation
      ? connectTargets(settings, undefined, agentNumber)[0]
      : undefined;
    return {
      kind: 'reminder',
      message: settings.message!,
      gather: settings.gatherConfirmation,
      ...(transferTo !== undefined ? { transferTo } : {}),
    };
  }
  if (routesToAgents(settings)) return { kind: 'agent-conference' };
  return { kind: 'connect', targets: connectTargets(settings, agentId, agentNumber) };
}

/**
 * Whether a campaign's answered calls go to its logged-in agents (each on a pinned conference) rather than to
 * one connect-to target: connect-to `agents` in progressive or power mode, and predictive always (its pacing
 * counts on agents and abandonment; a single target could take only one call at a time).
 */
export function routesToAgents(settings: CampaignSettings): boolean {
  const mode = settings.dialMode.mode;
  if (mode === 'predictive') return true;
  return settings.connectTo?.type === 'agents' && (mode === 'progressive' || mode === 'power');
}

/** The carrier request for a claimed attempt of a campaign. */
export function dialRequestFor(
  attempt: Pick<
    AttemptRecord,
    'attemptId' | 'portalId' | 'campaignId' | 'contactId' | 'to' | 'from' | 'agentId'
  >,
  settings: CampaignSettings,
  agents?: AgentDirectory,
): DialRequest {
  // A click-to-call attempt rings the rep first (kept in agentId), then the contact (the attempt's number).
  const manual = attempt.campaignId === MANUAL_CAMPAIGN_ID && attempt.agentId !== undefined;
  return {
    attemptId: attempt.attemptId,
    portalId: attempt.portalId,
    campaignId: attempt.campaignId,
    contactId: attempt.contactId,
    to: manual ? attempt.agentId! : attempt.to,
    from: attempt.from,
    flow: manual
      ? { kind: 'click-to-call', contactNumber: attempt.to }
      : callFlowFor(settings, attempt.agentId, agents && ((id) => agents(attempt.portalId, id))),
    amd: settings.amd,
    ringTimeoutSec: settings.ringTimeoutSec,
    record: settings.record,
  };
}
