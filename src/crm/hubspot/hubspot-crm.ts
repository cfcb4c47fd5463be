/**
 * The `Crm` port on HubSpot, one instance per portal (`HubSpotCrmDirectory.crmFor(portalId)`): list pages,
 * exactly-once call logging (call-log.ts), wrap-up updates and the DNC / wrong-number contact flags.
 */
import type { CallRecord, CallRecordPatch, ContactPage, Crm, CrmContact } from '../crm.js';
import type { CallLogger } from './call-log.js';
import { DEFAULT_PHONE_FIELDS, contactReadProperties, toCrmContact } from './contacts.js';
import type { HubSpotGateway } from './gateway.js';
import { readContacts, readMembershipPage } from './lists.js';
import { CONTACT_PROPERTIES } from './properties.js';
import type { Clock } from '../../shared/clock.js';

export class HubSpotCrm implements Crm {
  constructor(
    readonly portalId: string,
    private readonly gateway: HubSpotGateway,
    private readonly calls: CallLogger,
    private readonly clock: Clock,
  ) {}

  async listContacts(listId: string, cursor?: string): Promise<ContactPage> {
    const page = await readMembershipPage(this.gateway, this.portalId, listId, cursor, 'interactive');
    const records = await readContacts(
      this.gateway,
      this.portalId,
      page.ids,
      contactReadProperties(DEFAULT_PHONE_FIELDS),
      'interactive',
    );
    return {
      contacts: records.map((r) => toCrmContact(r.id, r.properties)),
      ...(page.next ? { next: page.next } : {}),
    };
  }

  /** One contact with the properties the dialer needs (a rep's card: interactive priority); null if gone. */
  async getContact(contactId: string): Promise<CrmContact | null> {
    const [record] = await readContacts(
      this.gateway,
      this.portalId,
      [contactId],
      contactReadProperties(DEFAULT_PHONE_FIELDS),
      'interactive',
    );
    return record ? toCrmContact(record.id, record.properties) : null;
  }

  async recordCall(record: CallRecord): Promise<{ id: string }> {
    const [result] = await this.calls.recordCalls(this.portalId, [record]);
    return result!;
  }

  recordCalls(records: CallRecord[]): Promise<{ id: string }[]> {
    return this.calls.recordCalls(this.portalId, records);
  }

  updateCall(attemptId: string, patch: CallRecordPatch): Promise<void> {
    return this.calls.updateCall(this.portalId, attemptId, patch);
  }

  async setDoNotCall(contactId: string, doNotCall: boolean, reason?: string): Promise<void> {
    const properties: Record<string, string> = {
      [CONTACT_PROPERTIES.doNotCall]: doNotCall ? 'true' : 'false',
      [CONTACT_PROPERTIES.doNotCallReason]: doNotCall ? (reason ?? '') : '',
      [CONTACT_PROPERTIES.doNotCallDate]: doNotCall ? new Date(this.clock.now()).toISOString() : '',
    };
    await this.gateway.call(this.portalId, 'interactive', (c) =>
      c.crm.contacts.basicApi.update(contactId, { properties }),
    );
  }

  async markWrongNumber(contactId: string, phone: string): Promise<void> {
    await this.gateway.call(this.portalId, 'interactive', (c) =>
      c.crm.contacts.basicApi.update(contactId, {
        properties: {
          [CONTACT_PROPERTIES.wrongNumber]: 'true',
          [CONTACT_PROPERTIES.wrongNumberPhone]: phone,
        },
      }),
    );
  }
}

/** The HubSpot CRM of each portal, built on demand and kept. */
export class HubSpotCrmDirectory {
  private readonly byPortal = new Map<string, HubSpotCrm>();

  constructor(
    private readonly gateway: HubSpotGateway,
    private readonly calls: CallLogger,
    private readonly clock: Clock,
  ) {}

  crmFor(portalId: string): HubSpotCrm {
    let crm = this.byPortal.get(portalId);
    if (!crm) {
      crm = new HubSpotCrm(portalId, this.gateway, this.calls, this.clock);
      this.byPortal.set(portalId, crm);
    }
    return crm;
  }
}
