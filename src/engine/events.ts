/**
 * Engine events: every attempt and state change is appended to the portal's event stream (a Redis Stream in
 * production, an in-memory log in the embedded store). The live monitor and the CRM writeback read it with
 * consumer groups, at least once, so every consumer must be idempotent (key on `id` / `attemptId`).
 */
import type { CampaignStatus } from '../domain/lifecycle.js';
import type { Disposition, OutcomeCategory } from '../domain/outcome.js';
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
      /** The classifier's category (e.g. ABANDONED for a safe-harbor call), for reports and the monitor. */
      category?: OutcomeCategory;
      outcomeLabel: string;
      /** The contact's state after this attempt, and when it is next due if it retries. */
      nextState: LeadState;
      nextAt?: number;
      /** Local hour (0-23) of the called person when the call was placed, for the compliance report. */
      localHour?: number;
      recordingUrl?: string;
      providerCallId?: string;
      /**
       * False when the carrier never placed a call for this attempt (refused it, or it was never sent): the
       * attempt is closed, but no call happened, so it must not be recorded as a call in the CRM.
       */
      placed?: false;
      /** Set when a rep's wrap-up or the call flagged the contact. */
      doNotCall?: boolean;
      wrongNumber?: boolean;
      notes?: string;
    })
  | (Base & {
      /** A rep's wrap-up of a finished attempt: updates the CRM call record and may flag the contact. */
      type: 'attempt.wrapped-up';
      campaignId: string;
      attemptId: string;
      contactId: string;
      to: string;
      disposition: Disposition;
      category?: OutcomeCategory;
      outcomeLabel: string;
      notes?: string;
      doNotCall?: boolean;
      wrongNumber?: boolean;
      /** The contact's state after the wrap-up, and when it is next due if it retries (e.g. call me later). */
      nextState: LeadState;
      nextAt?: number;
      /** False when the attempt never reached the carrier: there is no call record to update, only flags. */
      placed?: false;
    })
  | (Base & {
      /**
       * The real final status of an attempt already finished as lost (its callbacks were late or lost): the
       * CRM call record is updated with it. The lead's state is not changed by it.
       */
      type: 'attempt.corrected';
      campaignId: string;
      attemptId: string;
      contactId: string;
      to: string;
      status: CallStatus;
      durationSec: number;
      disposition: Disposition;
      category?: OutcomeCategory;
      outcomeLabel: string;
      providerCallId?: string;
    })
  | (Base & {
      type: 'lead.removed';
      campaignId: string;
      contactId: string;
      reason: SkipReason | 'UNENROLLED' | 'DELETED';
    });

/** A stored event with its stream id. */
export type StoredEvent = EngineEvent & { id: string };

/**
 * The per-portal event stream. Redis Streams in production (XADD, consumer groups, XAUTOCLAIM); an in-memory log
 * in the embedded store. Delivery to a group is at least once: consumers ack after handling and must be idempotent.
 */
export interface EventLog {
  append(portalId: string, event: EngineEvent): Promise<string>;
  /** Creates the consumer group if it does not exist; a new group starts at the beginning of the stream. */
  ensureGroup(portalId: string, group: string): Promise<void>;
  /** New entries for this consumer of the group; waits up to blockMs when there are none. */
  readGroup(
    portalId: string,
    group: string,
    consumer: string,
    opts: { count: number; blockMs: number },
  ): Promise<StoredEvent[]>;
  /**
   * This consumer's own entries that were delivered but not acked, after `afterId` ('0' = from the first), in
   * id order (XREADGROUP with an id instead of '>'). A consumer whose read reply was lost (connection reset)
   * holds such entries; reading them at once beats waiting for them to go stale and be reclaimed.
   */
  readPending(
    portalId: string,
    group: string,
    consumer: string,
    opts: { afterId: string; count: number },
  ): Promise<StoredEvent[]>;
  ack(portalId: string, group: string, ids: readonly string[]): Promise<void>;
  /** Takes over entries another consumer read but did not ack for minIdleMs (it crashed): redelivery. */
  claimStale(
    portalId: string,
    group: string,
    consumer: string,
    opts: { minIdleMs: number; count: number },
  ): Promise<StoredEvent[]>;
  /** Entries after `afterId` ('0' = from the start, '$' = only new ones), without a group (live monitor). */
  tail(portalId: string, afterId: string, opts: { count: number; blockMs: number }): Promise<StoredEvent[]>;
}
