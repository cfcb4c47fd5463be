/**
 * In-memory and local-CRM implementations of the API's ports, for tests and the demo. The HubSpot adapter
 * provides the production ones (contacts and lists from HubSpot, dispositions from the portal).
 */
import { randomBytes } from 'node:crypto';
import { AccountDefaultsSchema } from '../../domain/account-defaults.js';
import type { AccountDefaults } from '../../domain/account-defaults.js';
import { DISPOSITIONS } from '../../domain/outcome.js';
import type { Disposition } from '../../domain/outcome.js';
import type { CampaignService } from '../../engine/campaigns.js';
import type { Crm, CrmContact } from '../../crm/crm.js';
import type {
  AccountDefaultsRepository,
  AgentPresenceRecord,
  AgentPresenceRepository,
  ContactDirectory,
  DirectoryContact,
  DispositionCatalog,
  EnrollmentJob,
  ListContactRow,
  ListEnrollment,
  ListEnrollmentRequest,
} from './ports.js';

/** Account defaults kept in process; `settingsOf` is synchronous for CampaignService's `account` option. */
export class MemoryAccountDefaults implements AccountDefaultsRepository {
  private readonly byPortal = new Map<string, AccountDefaults>();
  private readonly initial: AccountDefaults;
  constructor(initial: Partial<AccountDefaults> = {}) {
    this.initial = AccountDefaultsSchema.parse(initial);
  }
  settingsOf(portalId: string): AccountDefaults {
    return this.byPortal.get(portalId) ?? this.initial;
  }
  async get(portalId: string) {
    return this.settingsOf(portalId);
  }
  async put(portalId: string, defaults: AccountDefaults) {
    this.byPortal.set(portalId, defaults);
    return defaults;
  }
}

export class MemoryAgentPresence implements AgentPresenceRepository {
  private readonly agents = new Map<string, AgentPresenceRecord>();
  async get(portalId: string, userId: string) {
    return this.agents.get(`${portalId}/${userId}`) ?? null;
  }
  async put(portalId: string, record: AgentPresenceRecord) {
    this.agents.set(`${portalId}/${record.userId}`, record);
  }
}

const LABELS: Record<Disposition, string> = {
  CONNECTED: 'Connected',
  LEFT_VOICEMAIL: 'Left voicemail',
  LEFT_LIVE_MESSAGE: 'Left live message',
  NO_ANSWER: 'No answer',
  BUSY: 'Busy',
  WRONG_NUMBER: 'Wrong number',
  FAILED: 'Failed',
  CONFIRMED: 'Confirmed',
  DECLINED: 'Declined',
  CALLBACK_REQUESTED: 'Callback requested',
  DO_NOT_CALL: 'Do not call',
};

/** The engine's own dispositions as the catalog (ids = the disposition names). */
export class StaticDispositions implements DispositionCatalog {
  async list() {
    return DISPOSITIONS.map((d) => ({ id: d, label: LABELS[d], disposition: d }));
  }
}

function contactName(c: CrmContact): string {
  return [c.firstName, c.lastName].filter(Boolean).join(' ') || `Contact ${c.id}`;
}

/** HubSpot's property names for the two phone fields the local CRM keeps. */
const PHONE_FIELDS: Record<string, keyof CrmContact> = { phone: 'phone', mobilephone: 'mobilePhone' };

function toDirectoryContact(c: CrmContact): DirectoryContact {
  const phones = Object.entries(PHONE_FIELDS)
    .map(([field, key]) => ({ field, raw: String(c[key] ?? '') }))
    .filter((p) => p.raw.trim() !== '');
  return {
    id: c.id,
    name: contactName(c),
    phones,
    ...(c.timeZone ? { timeZone: c.timeZone } : {}),
    ...(c.doNotCall ? { doNotCall: true } : {}),
  };
}

/** Contacts per portal, in memory. */
export class MemoryContactDirectory implements ContactDirectory {
  private readonly contacts = new Map<string, DirectoryContact>();
  add(portalId: string, contact: DirectoryContact) {
    this.contacts.set(`${portalId}/${contact.id}`, contact);
  }
  addCrmContact(portalId: string, contact: CrmContact) {
    this.add(portalId, toDirectoryContact(contact));
  }
  async getContact(portalId: string, contactId: string) {
    return this.contacts.get(`${portalId}/${contactId}`) ?? null;
  }
}

/** A CRM that can read one contact (the local sample CRM). */
export interface ContactReadingCrm extends Crm {
  getContact(contactId: string): Promise<CrmContact | null>;
}

/** The one portal a local CRM serves. */
export class LocalCrmContactDirectory implements ContactDirectory {
  constructor(
    private readonly portalId: string,
    private readonly crm: ContactReadingCrm,
  ) {}
  async getContact(portalId: string, contactId: string) {
    if (portalId !== this.portalId) return null;
    const contact = await this.crm.getContact(contactId);
    return contact ? toDirectoryContact(contact) : null;
  }
}

function rowOf(c: CrmContact, phoneFields: readonly string[]): ListContactRow {
  const phone = phoneFields
    .map((f) => PHONE_FIELDS[f.toLowerCase()])
    .map((key) => (key ? String(c[key] ?? '') : ''))
    .find((p) => p.trim() !== '');
  return {
    contactId: c.id,
    phone: phone ?? '',
    ...(c.timeZone ? { timeZone: c.timeZone } : {}),
    doNotCall: c.doNotCall === true,
  };
}

export interface CrmListEnrollmentOptions {
  /** The CRM of a portal, or null when this backend does not serve it. */
  crmOf: (portalId: string) => Crm | null;
  campaigns: CampaignService;
  onError?: (error: unknown) => void;
}

/** Enrolls a CRM list page by page through CampaignService.enroll; jobs are kept in process. */
export class CrmListEnrollment implements ListEnrollment {
  private readonly jobs = new Map<string, EnrollmentJob>();
  /** The running jobs' work, for tests and graceful stops. */
  readonly running = new Set<Promise<void>>();

  constructor(private readonly options: CrmListEnrollmentOptions) {}

  async *readList(portalId: string, listId: string, phoneFields: string[] = ['phone', 'mobilephone']) {
    const crm = this.options.crmOf(portalId);
    if (!crm) return;
    let cursor: string | undefined;
    do {
      const page = await crm.listContacts(listId, cursor);
      yield page.contacts.map((c) => rowOf(c, phoneFields));
      cursor = page.next;
    } while (cursor);
  }

  async start(request: ListEnrollmentRequest): Promise<EnrollmentJob> {
    const job: EnrollmentJob = {
      id: `j${randomBytes(6).toString('hex')}`,
      status: 'running',
      processed: 0,
      enrolled: 0,
      skipped: 0,
    };
    this.jobs.set(`${request.portalId}/${request.campaignId}/${job.id}`, job);
    const work = this.run(request, job).finally(() => this.running.delete(work));
    this.running.add(work);
    return { ...job };
  }

  private async run(request: ListEnrollmentRequest, job: EnrollmentJob) {
    try {
      for await (const rows of this.readList(request.portalId, request.listId, request.phoneFields)) {
        const report = await this.options.campaigns.enroll(request.portalId, request.campaignId, rows);
        job.processed += rows.length;
        job.enrolled += report.enrolled;
        job.skipped += report.skipped.length;
      }
      job.total = job.processed;
      job.status = 'completed';
    } catch (error) {
      job.status = 'failed';
      job.error = error instanceof Error ? error.message : String(error);
      this.options.onError?.(error);
    }
  }

  async get(portalId: string, campaignId: string, jobId: string) {
    const job = this.jobs.get(`${portalId}/${campaignId}/${jobId}`);
    return job ? { ...job } : null;
  }
}
