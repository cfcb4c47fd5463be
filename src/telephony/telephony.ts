/**
 * The telephony port. The engine places and follows calls only through this interface; the Twilio adapter
 * and the simulated carrier both implement it and report call progress through the same CallEventSink,
 * so the engine cannot tell them apart.
 */
import type { AnsweredBy, CallEvent, CallStatus } from '../domain/call.js';
import type { AmdSettings, Message } from '../domain/settings.js';

export type { AnsweredBy, CallEvent, CallStatus };

/** What happens when the called person answers. */
export type CallFlow =
  /** Bridge an answered lead to the campaign's connect-to target (a number, a hunt group, an agent's phone). */
  | { kind: 'connect'; targets: string[]; whisper?: string }
  /** Play a message and, when `gather` is set, gather a keypad answer (1 confirms, 2 asks for a person or new time). */
  | { kind: 'reminder'; message: Message; gather: boolean; transferTo?: string }
  /** Click-to-call: ring the rep's phone first (`to` is the rep), then dial the contact with the caller ID. */
  | { kind: 'click-to-call'; contactNumber: string }
  /** Predictive overflow: nobody could take the call within 2 s, so play the safe-harbor message and hang up. */
  | { kind: 'safe-harbor'; message: Message }
  /**
   * Agents' campaigns: the answered lead waits in silence (at most a few seconds) until the engine routes it
   * with `routeAnswered`: into an idle agent's pinned conference, or to the safe-harbor message.
   */
  | { kind: 'agent-conference' };

/** Where the engine sends an answered `agent-conference` call. */
export type AnsweredRoute =
  /** Join the agent's pinned conference (the agent is already in it; a short tone marks the lead's arrival). */
  | { kind: 'agent'; agentId: string; conference: string }
  /** Nobody free within 2 s: play the safe-harbor message and hang up (the call counts as abandoned). */
  | { kind: 'safe-harbor'; message: Message };

export interface DialRequest {
  /** Unique per attempt and the idempotency key of the dial: dialing the same attemptId twice places one call. */
  attemptId: string;
  portalId: string;
  campaignId: string;
  contactId: string;
  /** E.164 number to ring. */
  to: string;
  /** E.164 caller ID. */
  from: string;
  flow: CallFlow;
  amd: AmdSettings;
  /** Seconds to ring before giving up (at least 15). */
  ringTimeoutSec: number;
  record: boolean;
  /**
   * Epoch ms on the engine's clock after which the carrier must not be asked (or asked again) to place this
   * call: the calling window and the pacer slot were checked for "now", not for whenever a retry gets through.
   * Past it the dial rejects with a TelephonyError whose `notDialed` is true (requeue, count no attempt).
   */
  notAfter?: number;
}

/** What the carrier says about a call right now (the reaper asks before presuming a call lost). */
export interface CallStatusSnapshot {
  status: CallStatus;
  /** Seconds the call was connected, once it is over. */
  durationSec?: number;
  answeredBy?: AnsweredBy;
  errorCode?: number;
  sipResponseCode?: number;
}

export interface Telephony {
  /** Places a call and resolves once the carrier has accepted it. Rejects with a TelephonyError. */
  dial(request: DialRequest): Promise<{ providerCallId: string }>;
  /** Ends a call in any state (used when a campaign is stopped or a preview is abandoned). */
  hangup(providerCallId: string): Promise<void>;
  /**
   * The call's current state at the carrier, or null when the carrier does not know the call. Lets the engine
   * recover a final status whose callback was lost instead of presuming the call lost.
   */
  fetchStatus?(providerCallId: string): Promise<CallStatusSnapshot | null>;
  /**
   * Routes an answered `agent-conference` call (see AnsweredRoute). False when the call had already ended.
   * Carriers without it cannot run agents' campaigns.
   */
  routeAnswered?(providerCallId: string, route: AnsweredRoute): Promise<boolean>;
}

export interface TelephonyErrorDetails {
  /**
   * True when the request may have reached the carrier (a timeout or reset after it was written, a gateway
   * timeout): the call may exist, so the attempt should wait for callbacks (or fetchStatus) before finalizing.
   */
  maybeSent?: boolean;
  /** True when the carrier was certainly never asked to place the call (deadline passed first): requeue it. */
  notDialed?: boolean;
}

/** A carrier-side error, with the provider's code (Twilio error codes such as 21211) when there is one. */
export class TelephonyError extends Error {
  /** See TelephonyErrorDetails.maybeSent (false unless the adapter says otherwise). */
  readonly maybeSent: boolean;
  /** See TelephonyErrorDetails.notDialed. */
  readonly notDialed: boolean;

  constructor(
    message: string,
    readonly code: number | undefined,
    readonly httpStatus: number | undefined,
    /** True when the same request may succeed later (429, 5xx, network). */
    readonly retryable: boolean,
    details: TelephonyErrorDetails = {},
  ) {
    super(message);
    this.name = 'TelephonyError';
    this.maybeSent = details.maybeSent ?? false;
    this.notDialed = details.notDialed ?? false;
  }
}

/** Where telephony adapters deliver call events. The engine implements it; handlers must be idempotent. */
export interface CallEventSink {
  handleCallEvent(event: CallEvent): Promise<void>;
}
