/**
 * What the API needs from outside the engine, as ports: the HubSpot adapter implements them against HubSpot;
 * `local-adapters.ts` implements them in memory / over the local sample CRM for tests and the demo.
 */
import type { AccountDefaults } from '../../domain/account-defaults.js';
import type { Disposition } from '../../domain/outcome.js';

/** A contact as the dialer card shows it: its phone fields, raw, in the CRM's field order. */
export interface DirectoryContact {
  id: string;
  name: string;
  phones: { field: string; raw: string }[];
  timeZone?: string;
  doNotCall?: boolean;
}

export interface ContactDirectory {
  /** The portal's contact, or null when that portal has no such contact. */
  getContact(portalId: string, contactId: string): Promise<DirectoryContact | null>;
}

export type EnrollmentJobStatus = 'running' | 'completed' | 'failed';

export interface EnrollmentJob {
  id: string;
  status: EnrollmentJobStatus;
  processed: number;
  enrolled: number;
  skipped: number;
  total?: number;
  error?: string;
}

export interface ListEnrollmentRequest {
  portalId: string;
  campaignId: string;
  listId: string;
  /** Contact properties holding numbers, in order of preference (default: phone, then mobilephone). */
  phoneFields?: string[];
}

/** One contact of a list, as read for enrollment or for the compliance preview. */
export interface ListContactRow {
  contactId: string;
  phone: string;
  timeZone?: string;
  doNotCall: boolean;
}

/** Enrolls a HubSpot list's contacts in a campaign in the background (lists can hold 100,000 contacts). */
export interface ListEnrollment {
  start(request: ListEnrollmentRequest): Promise<EnrollmentJob>;
  /** The job, or null when it is not this portal's and campaign's. */
  get(portalId: string, campaignId: string, jobId: string): Promise<EnrollmentJob | null>;
  /** The list's contacts page by page (the compliance preview of a list before enrolling it). */
  readList?(portalId: string, listId: string, phoneFields?: string[]): AsyncIterable<ListContactRow[]>;
}

/** Account defaults per portal (settings page); `get` answers defaults for a portal never saved. */
export interface AccountDefaultsRepository {
  get(portalId: string): Promise<AccountDefaults>;
  put(portalId: string, defaults: AccountDefaults): Promise<AccountDefaults>;
}

export type AgentStatus = 'available' | 'away' | 'offline';

export interface AgentPresenceRecord {
  userId: string;
  status: AgentStatus;
  campaignIds: string[];
  /** Where the rep answers (E.164): rung first by click-to-call, bridged by campaigns that connect to agents. */
  phone?: string;
}

export interface AgentPresenceRepository {
  get(portalId: string, userId: string): Promise<AgentPresenceRecord | null>;
  put(portalId: string, record: AgentPresenceRecord): Promise<void>;
}

/** The portal's call dispositions (HubSpot's own ids), each mapped to the engine's disposition. */
export interface DispositionCatalog {
  list(portalId: string): Promise<{ id: string; label: string; disposition: Disposition }[]>;
}

export interface AccountStatus {
  twilio: { connected: boolean; detail?: string };
  hubspot: { connected: boolean; scopes?: string[] };
}

export type AccountStatusProbe = (portalId: string) => Promise<AccountStatus>;
