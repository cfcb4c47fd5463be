/**
 * Applies what HubSpot says about a contact to the engine's leads in every campaign of the portal. Each change
 * is durable when its promise resolves (the webhook is acknowledged only then), and each is idempotent and
 * order-tolerant: a DNC flag is never undone here, deletions are final, numbers are re-read from HubSpot.
 *
 * "Before the next dial": a DNC flag puts the contact in the store's removed set and its numbers in the DNC set,
 * both of which the claim and the dial-request scripts check atomically; a call already placed is not recalled.
 */
import type { CampaignService } from '../../../engine/campaigns.js';
import type { Clock } from '../../../shared/clock.js';
import type { Store } from '../../../engine/store/store.js';
import { normalizePhone } from '../../../domain/phone.js';
import type { AccountSettings } from '../../../domain/settings.js';

/** The contact's phone properties the engine may dial, in order of preference. */
export const PHONE_PROPERTIES = ['phone', 'mobilephone'] as const;

export interface ContactChangesOptions {
  store: Store;
  campaigns: CampaignService;
  clock: Clock;
  account: (portalId: string) => AccountSettings;
}

export interface LeadRef {
  campaignId: string;
  e164: string;
  zone?: string;
  final: boolean;
}

export class ContactChanges {
  private readonly store: Store;
  private readonly campaigns: CampaignService;
  private readonly clock: Clock;
  private readonly account: (portalId: string) => AccountSettings;

  constructor(options: ContactChangesOptions) {
    this.store = options.store;
    this.campaigns = options.campaigns;
    this.clock = options.clock;
    this.account = options.account;
  }

  /** The contact's lead in each campaign of the portal. */
  async leadsOf(portalId: string, contactId: string): Promise<LeadRef[]> {
    const out: LeadRef[] = [];
    for (const c of await this.store.listCampaigns(portalId)) {
      const lead = await this.store.getLead(portalId, c.campaignId, contactId);
      if (!lead) continue;
      out.push({
        campaignId: c.campaignId,
        e164: lead.e164,
        ...(lead.zone ? { zone: lead.zone } : {}),
        final: ['reached', 'failed', 'dnc', 'removed'].includes(lead.progress.state),
      });
    }
    return out;
  }

  /** Normalizes raw phone values with the account's region; invalid ones are dropped. */
  normalize(portalId: string, raw: readonly (string | null | undefined)[]): string[] {
    const region = this.account(portalId).defaultRegion;
    const out: string[] = [];
    for (const value of raw) {
      if (!value || !value.trim()) continue;
      const parsed = normalizePhone(value, region);
      if (parsed.ok && !out.includes(parsed.phone.e164)) out.push(parsed.phone.e164);
    }
    return out;
  }

  /**
   * Do-not-call (or an unsubscribe meaning it): no campaign of the portal dials the contact or its numbers again.
   * `numbers`: raw numbers known from HubSpot besides the ones its leads dial.
   */
  async markDoNotCall(portalId: string, contactId: string, numbers: readonly string[] = []): Promise<void> {
    const leads = await this.leadsOf(portalId, contactId);
    const all = [...new Set([...leads.map((l) => l.e164), ...this.normalize(portalId, numbers)])];
    // The removed mark and the DNC numbers are what the claim checks: they go first, the lead states after.
    await this.campaigns.removeContact(portalId, contactId, all);
    await this.unenrollEverywhere(portalId, contactId, leads);
  }

  /** Wrong number: the contact is taken out of every campaign (the number is not theirs; nobody dials it for them). */
  async markWrongNumber(portalId: string, contactId: string): Promise<void> {
    await this.unenrollEverywhere(portalId, contactId, await this.leadsOf(portalId, contactId));
  }

  /** Contact deleted in HubSpot: out of every campaign, and never enrolled again. */
  async deleteContact(portalId: string, contactId: string): Promise<void> {
    const leads = await this.leadsOf(portalId, contactId);
    await this.store.removeContact(portalId, contactId);
    await this.unenrollEverywhere(portalId, contactId, leads);
  }

  /** The contact's zone changed: every unfinished lead takes it (the pre-dial check re-reads it). */
  async setTimeZone(portalId: string, contactId: string, zone: string | undefined): Promise<void> {
    for (const lead of await this.leadsOf(portalId, contactId)) {
      if (lead.final || lead.zone === zone) continue;
      await this.store.setLeadNumber(portalId, lead.campaignId, contactId, lead.e164, zone);
    }
  }

  /**
   * The contact's phone properties now (as read from HubSpot after a phone change): a lead whose number is still
   * one of them keeps it; a lead whose number is gone dials the first current one instead, or leaves the
   * campaign when the contact has no valid number left (or that number belongs to another lead there).
   */
  async setPhones(portalId: string, contactId: string, current: readonly (string | null | undefined)[]) {
    const numbers = this.normalize(portalId, current);
    for (const lead of await this.leadsOf(portalId, contactId)) {
      if (lead.final || numbers.includes(lead.e164)) continue;
      const next = numbers[0];
      const result = next
        ? await this.store.setLeadNumber(portalId, lead.campaignId, contactId, next, lead.zone)
        : 'duplicate';
      if (result === 'duplicate') {
        await this.store.unenroll(portalId, lead.campaignId, contactId, this.clock.now());
      }
    }
  }

  private async unenrollEverywhere(portalId: string, contactId: string, leads: readonly LeadRef[]) {
    for (const lead of leads) {
      if (!lead.final) await this.store.unenroll(portalId, lead.campaignId, contactId, this.clock.now());
    }
  }
}
