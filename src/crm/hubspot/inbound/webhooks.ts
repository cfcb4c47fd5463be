/**
 * HubSpot webhook batches (up to 100 events, unordered, possibly repeated) applied idempotently:
 * - an event already applied (a hash of its identity remembered per portal for 3 days, longer than HubSpot's
 *   24 h of retries) is skipped;
 * - a property change older than the newest one applied for that contact and property is skipped;
 * - phone changes re-read the contact's current numbers from HubSpot (one batch read per portal and batch), so
 *   their order does not matter; DNC flags are never undone here; deletions are final.
 * Everything is applied before the batch is acknowledged; a failure answers 500 and HubSpot sends it again.
 *
 * Which property means "do not call": `autodial_do_not_call` (ours, set by reps, workflows and our writeback)
 * and, by default, `hs_email_optout` (the contact unsubscribed from all email): an unsubscribe is the clearest
 * "leave me alone" a contact gives in HubSpot, and calling someone who opted out of everything is the complaint
 * we must never cause. Set `emailOptOutMeansDoNotCall: false` to treat it as email only.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from '../../../observability/logger.js';
import type { ContactChanges } from './contact-changes.js';
import { PHONE_PROPERTIES } from './contact-changes.js';
import { ianaZoneOf } from './hubspot-timezone.js';
import { InboundKeys } from './ports.js';
import type { HubSpotClientProvider, RedisConnection } from './ports.js';
import type { PrivacyPurger } from './privacy.js';

const id = z.union([z.number().int().nonnegative(), z.string().regex(/^\d{1,20}$/)]).transform(String);

export const WebhookEventSchema = z.looseObject({
  eventId: z.union([z.number(), z.string().min(1).max(100)]).transform(String),
  subscriptionType: z.string().min(1).max(100),
  portalId: id,
  objectId: id,
  occurredAt: z.number().int().nonnegative(),
  propertyName: z.string().max(200).optional(),
  propertyValue: z.string().max(10_000).nullable().optional(),
  subscriptionId: z.union([z.number(), z.string()]).optional(),
  appId: z.union([z.number(), z.string()]).optional(),
  attemptNumber: z.number().int().optional(),
  changeSource: z.string().optional(),
});
export type WebhookEvent = z.infer<typeof WebhookEventSchema>;

export const WebhookBatchSchema = z
  .array(WebhookEventSchema)
  .min(1, 'expected at least one event')
  .max(100, 'HubSpot sends at most 100 events per request');

export const DNC_PROPERTY = 'autodial_do_not_call';
export const WRONG_NUMBER_PROPERTY = 'autodial_wrong_number';
export const EMAIL_OPT_OUT_PROPERTY = 'hs_email_optout';
export const TIME_ZONE_PROPERTY = 'hs_timezone';

const SEEN_TTL_SECONDS = 3 * 86_400;
const truthy = (v: string | null | undefined) => v === 'true' || v === '1' || v === 'Yes' || v === 'yes';

/** Sets `property` to `occurredAt` only when newer than what it holds. KEYS: 1 the contact's hash. */
const NEWER_SCRIPT = `-- KEYS: 1 per-contact hash of property -> occurredAt of the newest change applied
-- ARGV: pairs of (property, occurredAt)
-- Result: number of fields moved forward. Invariant: a field only ever grows (an old change never wins).
local moved = 0
for i = 1, #ARGV, 2 do
  local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '-1')
  if tonumber(ARGV[i + 1]) > cur then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    moved = moved + 1
  end
end
return moved`;

export interface WebhookProcessorOptions {
  redis: RedisConnection;
  keyPrefix: string;
  changes: ContactChanges;
  privacy: PrivacyPurger;
  clients: HubSpotClientProvider;
  logger: Logger;
  emailOptOutMeansDoNotCall?: boolean;
}

export interface BatchReport {
  applied: number;
  duplicates: number;
  stale: number;
  ignored: number;
}

/** The identity of one delivery: HubSpot's eventId alone is not unique. */
function eventHash(e: WebhookEvent): string {
  return createHash('sha256')
    .update([e.subscriptionType, e.eventId, e.objectId, e.propertyName ?? '', e.occurredAt].join('\u0000'))
    .digest('base64url')
    .slice(0, 32);
}

export class WebhookProcessor {
  private readonly optOutMeansDnc: boolean;
  constructor(private readonly o: WebhookProcessorOptions) {
    this.optOutMeansDnc = o.emailOptOutMeansDoNotCall ?? true;
  }

  private keys(portalId: string) {
    return new InboundKeys(this.o.keyPrefix, portalId);
  }

  /** Applies a parsed batch; resolves once every change is durable. */
  async process(events: readonly WebhookEvent[]): Promise<BatchReport> {
    const report: BatchReport = { applied: 0, duplicates: 0, stale: 0, ignored: 0 };
    const fresh: WebhookEvent[] = [];
    for (const e of events) {
      if (await this.o.redis.exists(this.keys(e.portalId).seen(eventHash(e)))) report.duplicates++;
      else fresh.push(e);
    }
    // Deletions first: a change that arrives with (or after) a deletion of its contact changes nothing.
    const rank = (e: WebhookEvent) =>
      e.subscriptionType.endsWith('privacyDeletion') ? 0 : e.subscriptionType.endsWith('deletion') ? 1 : 2;
    fresh.sort((a, b) => rank(a) - rank(b) || a.occurredAt - b.occurredAt);

    // Per portal, contacts whose phone changed: re-read once, after the other changes.
    const phoneChanges = new Map<string, Set<string>>();
    const newest = new Map<string, WebhookEvent>();
    const flags: WebhookEvent[] = [];
    for (const e of fresh) {
      const type = e.subscriptionType;
      if (await this.o.privacy.isPurged(e.portalId, e.objectId)) {
        report.ignored++;
        continue;
      }
      if (type === 'contact.privacyDeletion') {
        await this.o.privacy.request(e.portalId, e.objectId);
        report.applied++;
      } else if (type === 'contact.deletion' || (type === 'object.deletion' && this.isContact(e))) {
        await this.o.changes.deleteContact(e.portalId, e.objectId);
        report.applied++;
      } else if (
        (type === 'contact.propertyChange' || (type === 'object.propertyChange' && this.isContact(e))) &&
        e.propertyName
      ) {
        // A flag set is never undone here, so every "set" counts whatever its age: the end state is then the
        // same in any order. Other properties: only the newest change of each contact property counts.
        if (this.isFlagSet(e)) {
          flags.push(e);
          continue;
        }
        const key = `${e.portalId}/${e.objectId}/${e.propertyName}`;
        const before = newest.get(key);
        if (before) report.stale++;
        if (!before || before.occurredAt <= e.occurredAt) newest.set(key, e);
      } else {
        report.ignored++;
      }
    }
    for (const e of flags) {
      await this.applyPropertyChange(e, phoneChanges);
      report.applied++;
    }
    for (const e of newest.values()) {
      if (!(await this.isNewer(e))) {
        report.stale++;
        continue;
      }
      const handled = await this.applyPropertyChange(e, phoneChanges);
      if (handled) report.applied++;
      else report.ignored++;
    }
    for (const [portalId, contacts] of phoneChanges) await this.rereadPhones(portalId, [...contacts]);
    // Only now, with every change durable: remember what was applied.
    for (const e of newest.values()) await this.markNewest(e);
    for (const e of fresh) {
      await this.o.redis.set(this.keys(e.portalId).seen(eventHash(e)), '1', { EX: SEEN_TTL_SECONDS });
    }
    return report;
  }

  private isFlagSet(e: WebhookEvent): boolean {
    const flag =
      e.propertyName === DNC_PROPERTY ||
      e.propertyName === WRONG_NUMBER_PROPERTY ||
      (e.propertyName === EMAIL_OPT_OUT_PROPERTY && this.optOutMeansDnc);
    return flag && truthy(e.propertyValue);
  }

  private isContact(e: WebhookEvent): boolean {
    const objectType = (e as { objectTypeId?: unknown; objectType?: unknown }).objectTypeId ?? e.objectType;
    return objectType === '0-1' || objectType === 'CONTACT' || objectType === 'contact';
  }

  private async isNewer(e: WebhookEvent): Promise<boolean> {
    const last = await this.o.redis.hGet(this.keys(e.portalId).lastChange(e.objectId), e.propertyName!);
    return last === null || e.occurredAt >= Number(last);
  }

  private async markNewest(e: WebhookEvent): Promise<void> {
    if (await this.o.privacy.isPurged(e.portalId, e.objectId)) return;
    await this.o.redis.eval(NEWER_SCRIPT, {
      keys: [this.keys(e.portalId).lastChange(e.objectId)],
      arguments: [e.propertyName!, String(e.occurredAt)],
    });
  }

  private async applyPropertyChange(e: WebhookEvent, phoneChanges: Map<string, Set<string>>) {
    const { portalId, objectId: contactId } = e;
    switch (e.propertyName) {
      case DNC_PROPERTY:
        // Clearing the flag does not re-open the number: a manager re-enrolls the contact on purpose.
        if (truthy(e.propertyValue)) await this.o.changes.markDoNotCall(portalId, contactId);
        return true;
      case EMAIL_OPT_OUT_PROPERTY:
        if (!this.optOutMeansDnc) return false;
        if (truthy(e.propertyValue)) await this.o.changes.markDoNotCall(portalId, contactId);
        return true;
      case WRONG_NUMBER_PROPERTY:
        if (truthy(e.propertyValue)) await this.o.changes.markWrongNumber(portalId, contactId);
        return true;
      case TIME_ZONE_PROPERTY:
        await this.o.changes.setTimeZone(portalId, contactId, ianaZoneOf(e.propertyValue));
        return true;
      default:
        if ((PHONE_PROPERTIES as readonly string[]).includes(e.propertyName ?? '')) {
          const set = phoneChanges.get(portalId) ?? new Set<string>();
          set.add(contactId);
          phoneChanges.set(portalId, set);
          return true;
        }
        return false;
    }
  }

  /** One batch read of the contacts' current phone properties; a contact HubSpot no longer has is skipped. */
  private async rereadPhones(portalId: string, contactIds: string[]): Promise<void> {
    const client = await this.o.clients(portalId);
    for (let i = 0; i < contactIds.length; i += 100) {
      const ids = contactIds.slice(i, i + 100);
      const reply = await client.crm.contacts.batchApi.read({
        inputs: ids.map((id) => ({ id })),
        properties: [...PHONE_PROPERTIES],
        propertiesWithHistory: [],
      });
      for (const contact of reply.results) {
        const props = contact.properties;
        await this.o.changes.setPhones(
          portalId,
          contact.id,
          PHONE_PROPERTIES.map((p) => props[p]),
        );
      }
    }
  }
}
