/**
 * The CRM port. The engine reads contacts and writes call outcomes only through this interface; the HubSpot
 * adapter and the local sample CRM both implement it.
 */
import type { Disposition } from '../domain/outcome.js';

export interface CrmContact {
  id: string;
  firstName?: string;
  lastName?: string;
  /** Raw phone fields as stored in the CRM; normalized by the domain before use. */
  phone?: string;
  mobilePhone?: string;
  /** IANA zone from the CRM, when the record has one. */
  timeZone?: string;
  /** The contact's country (ISO code or name, as the CRM holds it): national-format numbers are read in it. */
  country?: string;
  doNotCall?: boolean;
}

export interface ContactPage {
  contacts: CrmContact[];
  /** Opaque cursor for the next page; absent on the last page. */
  next?: string;
}

/** One finished attempt, written to the CRM as a call engagement on the contact. */
export interface CallRecord {
  /** Idempotency key: writing the same attemptId twice must leave one record. */
  attemptId: string;
  portalId: string;
  contactId: string;
  campaignId: string;
  campaignName?: string;
  toNumber: string;
  fromNumber: string;
  startedAt: number;
  durationSec: number;
  disposition: Disposition;
  /** Human-readable outcome, e.g. "Busy", "Voicemail left", "Confirmed by keypad (1)". */
  outcomeLabel: string;
  notes?: string;
  recordingUrl?: string;
  providerCallId?: string;
  /** The CRM user who owns the call (the rep of a click-to-call), when known. */
  ownerId?: string;
}

/** The part of a call record a rep's wrap-up may change. */
export interface CallRecordPatch {
  disposition: Disposition;
  outcomeLabel: string;
  notes?: string;
}

export interface Crm {
  /** Reads one page of a list's (or segment's) contacts. */
  listContacts(listId: string, cursor?: string): Promise<ContactPage>;
  /** Writes a call engagement; idempotent by attemptId. Returns the CRM's id of the record. */
  recordCall(record: CallRecord): Promise<{ id: string }>;
  /**
   * Optional batch form of `recordCall` (up to 100 records, one portal), same guarantees; the writeback uses it
   * when present so a CRM with batch APIs writes a hundred calls in one request.
   */
  recordCalls?(records: CallRecord[]): Promise<{ id: string }[]>;
  /**
   * Applies a rep's wrap-up (disposition, outcome, notes) to the call record of `attemptId`. Idempotent.
   * Throws CallRecordNotFoundError when that record has not been written yet (the caller retries later).
   */
  updateCall(attemptId: string, patch: CallRecordPatch): Promise<void>;
  /** Sets or clears the contact's Do-Not-Call flag. */
  setDoNotCall(contactId: string, doNotCall: boolean, reason?: string): Promise<void>;
  /** Marks a number of the contact as wrong (not the person we want) or disconnected. */
  markWrongNumber(contactId: string, phone: string): Promise<void>;
}

/** A CRM answered "too many requests"; try again after `retryAfterMs`. Adapters throw this for HTTP 429. */
export class CrmRateLimitError extends Error {
  readonly status = 429;
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
    this.name = 'CrmRateLimitError';
  }
}

/** The call record to update does not exist yet (its creation is still in flight); retry later. */
export class CallRecordNotFoundError extends Error {
  constructor(readonly attemptId: string) {
    super(`no call record for attempt ${attemptId} yet`);
    this.name = 'CallRecordNotFoundError';
  }
}
