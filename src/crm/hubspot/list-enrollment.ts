/**
 * Enrollment of a campaign from a HubSpot list, streaming and resumable.
 *
 * Memberships are paged 250 at a time; their contacts are read 100 at a time with only the properties dialing
 * needs (contacts.ts); ids that do not fill a read of 100 carry over to the next page, so a 10,000-contact
 * list costs 40 membership pages + 100 reads. Each chunk is handed to the engine's enrollment
 * (`CampaignService.enroll`, idempotent per contact) and then the cursor (membership cursor + carried ids +
 * counts) is saved in Redis under the campaign and list. Memory holds one page at a time, whatever the list's
 * size. After a crash, `run` continues from the saved cursor; the chunk in flight at the crash is enrolled
 * again, which the engine's idempotent enrollment absorbs (those contacts may be counted as skipped twice).
 */
import { z } from 'zod';
import type { EnrollReport } from '../../engine/campaigns.js';
import { DEFAULT_PHONE_FIELDS, contactReadProperties, ianaZoneOf, pickPhone } from './contacts.js';
import type { HubSpotGateway } from './gateway.js';
import { HubSpotKeys } from './keys.js';
import { READ_BATCH, readContacts, readMembershipPage } from './lists.js';
import { CONTACT_PROPERTIES } from './properties.js';
import type { RedisClient } from './redis.js';

export interface Enroller {
  enroll(portalId: string, campaignId: string, rows: unknown[]): Promise<EnrollReport>;
}

export const EnrollmentStateSchema = z.object({
  /** Membership cursor of the next page; absent before the first page. */
  after: z.string().optional(),
  /** Member ids read from a page but not yet enrolled (fewer than 100). */
  carry: z.array(z.string()).default([]),
  processed: z.number().int().default(0),
  enrolled: z.number().int().default(0),
  skipped: z.number().int().default(0),
  total: z.number().int().optional(),
  done: z.boolean().default(false),
});
export type EnrollmentState = z.infer<typeof EnrollmentStateSchema>;

export interface ListEnrollmentRequest {
  portalId: string;
  campaignId: string;
  listId: string;
  /** Phone properties to dial, in order of preference (default phone, then mobilephone). */
  phoneFields?: readonly string[];
}

export interface ListEnrollmentOptions {
  gateway: HubSpotGateway;
  redis: RedisClient;
  keyPrefix: string;
  campaigns: Enroller;
  onProgress?: (state: EnrollmentState) => void;
  /** Cursor lifetime after the last change (default 7 days). */
  stateTtlMs?: number;
}

export class ListEnrollment {
  constructor(private readonly options: ListEnrollmentOptions) {}

  /** The saved progress of an enrollment, or null when it never started. */
  async progress(portalId: string, campaignId: string, listId: string): Promise<EnrollmentState | null> {
    const raw = await this.options.redis.get(this.key(portalId, campaignId, listId));
    return raw ? EnrollmentStateSchema.parse(JSON.parse(raw)) : null;
  }

  /** Enrolls the whole list (or what is left of it after a crash); resolves with the final counts. */
  async run(request: ListEnrollmentRequest): Promise<EnrollmentState> {
    const { portalId, campaignId, listId } = request;
    const phoneFields = request.phoneFields?.length ? request.phoneFields : DEFAULT_PHONE_FIELDS;
    const properties = contactReadProperties(phoneFields);
    let state = (await this.progress(portalId, campaignId, listId)) ?? EnrollmentStateSchema.parse({});
    while (!state.done) {
      const page = await readMembershipPage(this.options.gateway, portalId, listId, state.after, 'bulk');
      const ids = [...state.carry, ...page.ids];
      const last = !page.next;
      // Full reads of 100 only, except at the end of the list.
      const take = last ? ids.length : ids.length - (ids.length % READ_BATCH);
      const chunk = ids.slice(0, take);
      const records = await readContacts(this.options.gateway, portalId, chunk, properties, 'bulk');
      const rows = records.map((r) => {
        const zone = ianaZoneOf(r.properties.hs_timezone);
        return {
          contactId: r.id,
          phone: pickPhone(r.properties, phoneFields) ?? '',
          ...(zone ? { timeZone: zone } : {}),
          doNotCall: r.properties[CONTACT_PROPERTIES.doNotCall] === 'true',
        };
      });
      const report = rows.length
        ? await this.options.campaigns.enroll(portalId, campaignId, rows)
        : { enrolled: 0, skipped: [] };
      state = {
        ...(page.next ? { after: page.next } : {}),
        carry: ids.slice(take),
        processed: state.processed + chunk.length,
        enrolled: state.enrolled + report.enrolled,
        // Members deleted since they joined the list are not read back: they count as skipped.
        skipped: state.skipped + report.skipped.length + (chunk.length - records.length),
        ...(page.total !== undefined
          ? { total: page.total }
          : state.total !== undefined
            ? { total: state.total }
            : {}),
        done: last,
      };
      await this.save(portalId, campaignId, listId, state);
      this.options.onProgress?.(state);
    }
    return state;
  }

  private async save(
    portalId: string,
    campaignId: string,
    listId: string,
    state: EnrollmentState,
  ): Promise<void> {
    await this.options.redis.set(this.key(portalId, campaignId, listId), JSON.stringify(state), {
      PX: this.options.stateTtlMs ?? 7 * 86_400_000,
    });
  }

  private key(portalId: string, campaignId: string, listId: string): string {
    return new HubSpotKeys(this.options.keyPrefix, portalId).enrollment(campaignId, listId);
  }
}
