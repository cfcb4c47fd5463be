/**
 * Privacy deletion (GDPR "forget me"): the contact is blocked at once (no campaign dials it again), then every
 * number, name and call record we hold for it is purged: leads, skips, number indexes, the number log, attempts,
 * engine events (which are also the CRM writeback's queue), the workflow-action records and the webhook
 * bookkeeping. The call engagements in HubSpot are HubSpot's to delete. One exception, on purpose: a number on
 * the portal's DNC list stays there (the suppression entry names no contact; dropping it could let a DNC number
 * be dialed again, which the compliance invariant forbids).
 *
 * Durable: the request is recorded in Redis before the webhook is acknowledged; a purge that finds a call live
 * stays pending and `sweep` finishes it after the call ends (its outcome is then purged too). Afterwards only a
 * keyed hash of the contact id remains, so late or repeated events about it are recognized and ignored.
 */
import { createHmac } from 'node:crypto';
import type { Store } from '../../../engine/store/store.js';
import type { ContactChanges } from './contact-changes.js';
import { InboundKeys } from './ports.js';
import type { RedisConnection } from './ports.js';

export interface PrivacyPurgerOptions {
  store: Store;
  redis: RedisConnection;
  keyPrefix: string;
  changes: ContactChanges;
  /** Keys the hashes of purged contact ids (the app's client secret will do): ids are small integers. */
  hashKey: string;
}

export class PrivacyPurger {
  constructor(private readonly o: PrivacyPurgerOptions) {}

  private keys(portalId: string) {
    return new InboundKeys(this.o.keyPrefix, portalId);
  }

  private hashOf(portalId: string, contactId: string): string {
    return createHmac('sha256', this.o.hashKey).update(`${portalId}:${contactId}`).digest('base64url');
  }

  async isPurged(portalId: string, contactId: string): Promise<boolean> {
    return (
      (await this.o.redis.sIsMember(this.keys(portalId).purged(), this.hashOf(portalId, contactId))) === 1
    );
  }

  /** Blocks the contact now and purges it (now, or after its live call ends). Resolves once durable. */
  async request(portalId: string, contactId: string): Promise<'purged' | 'pending'> {
    if (await this.isPurged(portalId, contactId)) return 'purged';
    const k = this.keys(portalId);
    const numbers = (await this.o.changes.leadsOf(portalId, contactId)).map((l) => l.e164);
    const earlier = await this.o.redis.hGet(k.pendingPurges(), contactId);
    const all = [...new Set([...numbers, ...(earlier ? (JSON.parse(earlier) as string[]) : [])])];
    await this.o.redis.hSet(k.pendingPurges(), contactId, JSON.stringify(all));
    await this.o.store.removeContact(portalId, contactId);
    return this.tryPurge(portalId, contactId);
  }

  /** One try at a pending purge; 'pending' while a call to the contact is live. */
  async tryPurge(portalId: string, contactId: string): Promise<'purged' | 'pending'> {
    const k = this.keys(portalId);
    const raw = await this.o.redis.hGet(k.pendingPurges(), contactId);
    if (raw === null) return (await this.isPurged(portalId, contactId)) ? 'purged' : 'pending';
    const numbers = JSON.parse(raw) as string[];
    if ((await this.o.store.purgeContact(portalId, contactId, numbers)) === 'live') return 'pending';
    const callbacks = await this.o.redis.sMembers(k.contactCallbacks(contactId));
    for (const callbackId of callbacks) {
      const campaignId = await this.o.redis.hGet(k.callback(callbackId), 'campaignId');
      if (campaignId) await this.o.redis.del(k.leadCallbacks(campaignId, contactId));
      await this.o.redis.zRem(k.outbox(), callbackId);
      await this.o.redis.del(k.callback(callbackId));
    }
    await this.o.redis.del([k.contactCallbacks(contactId), k.lastChange(contactId)]);
    // The hash first, then the pending entry: a crash in between only repeats an idempotent purge.
    await this.o.redis.sAdd(k.purged(), this.hashOf(portalId, contactId));
    await this.o.redis.hDel(k.pendingPurges(), contactId);
    return 'purged';
  }

  /** Finishes the purges that waited for a live call; returns how many are still pending. */
  async sweep(portalId: string): Promise<number> {
    const pending = await this.o.redis.hKeys(this.keys(portalId).pendingPurges());
    let left = 0;
    for (const contactId of pending) if ((await this.tryPurge(portalId, contactId)) === 'pending') left++;
    return left;
  }
}
