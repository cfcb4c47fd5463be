/**
 * Engine events: every attempt and state change is appended to the portal's event stream (a Redis Stream in
 * production, an in-memory log in the embedded store). The live monitor and the CRM writeback read it with
 * consumer groups, at least once, so every consumer must be idempotent (key on `id` / `attemptId`).
 */
import type { CampaignStatus } from '../domain/lifecycle.js';
import type { Disposition } from '../domain/outcome.js';
import type { CallStatus } from '../domain/call.js';

/** Why a contact was not enrolled, or was removed. */
export type SkipReason = 'INVALID_NUMBER' | 'DUPLICATE' | 'DNC' | 'NO_CALLABLE_TIME' | 'MISSING_NUMBER';

/** A contact's state within a campaign. */
export type LeadState =
  | 'queued' // waiting for its first dial time
  | 'dialing' // claimed, a dial is being placed or the call is live
  | 'retrying' // waiting for a retry time
  | 'reached' // final: completed conversation (or confirmed reminder)
  | 'failed' // final: permanent failure or stop condition reached
  | 'dnc' // final: do-not-call
  | 'removed'; // final: unenrolled, deleted, or flagged DNC elsewhere

export const FINAL_LEAD_STATES: readonly LeadState[] = ['reached', 'failed', 'dnc', 'removed'];

interface Base {
  /** Stream entry id (assigned on append). */
  id?: string;
  portalId: string;
  /** Epoch ms, engine clock. */
  at: number;
}

export type EngineEvent =
  | (Base & {
      type: 'campaign.status';
      campaignId: string;
      from: CampaignStatus;
      to: CampaignStatus;
      why?: string;
    })
  | (Base & {
      type: 'campaign.alert';
      campaignId: string;
      level: 'warning' | 'error';
      message: string;
      code?: string;
    })
  | (Base & {
      type: 'enrollment';
      campaignId: string;
      enrolled: number;
      skipped: Partial<Record<SkipReason, number>>;
    })
  | (Base & {
      type: 'attempt.started';
      campaignId: string;
      attemptId: string;
      contactId: string;
      to: string;
      from: string;
      attempt: number;
      /** When the contact was due; `at - dueAt` is the dispatch latency. */
      dueAt: number;
    })
  | (Base & {
      type: 'attempt.status';
      campaignId: string;
      attemptId: string;
      contactId: string;
      status: CallStatus;
    })
  | (Base & {
      type: 'attempt.finished';
      campaignId: string;
      campaignName?: string;
      attemptId: string;
      contactId: string;
      to: string;
      from: string;
      startedAt: number;
      durationSec: number;
      disposition: Disposition;
      outcomeLabel: string;
      /** The contact's state after this attempt, and when it is next due if it retries. */
      nextState: LeadState;
      nextAt?: number;
      /** Local hour (0-23) of the called person when the call was placed, for the compliance report. */
      localHour?: number;
      recordingUrl?: string;
      providerCallId?: string;
      /** Set when a rep's wrap-up or the call flagged the contact. */
      doNotCall?: boolean;
      wrongNumber?: boolean;
      notes?: string;
    })
  | (Base & {
      type: 'lead.removed';
      campaignId: string;
      contactId: string;
      reason: SkipReason | 'UNENROLLED' | 'DELETED';
    });
