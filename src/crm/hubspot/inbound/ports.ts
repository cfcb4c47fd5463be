/**
 * What the inbound side (webhooks, DNC, privacy, workflow action) needs from the rest of the HubSpot adapter,
 * as small ports: the OAuth/token and rate-limit layer supplies the SDK client of a portal.
 */
import type { Client } from '@hubspot/api-client';
import type { createClient } from 'redis';

/** The SDK client of one installed portal (tokens refreshed, rate limited by whoever provides it). */
export type HubSpotClientProvider = (portalId: string) => Promise<Client>;

/** A node-redis connection (the store of every new Redis key). */
export type RedisConnection = ReturnType<typeof createClient>;

/** Keys of the inbound side, under the portal's hash tag so a portal stays on one Cluster slot. */
export class InboundKeys {
  readonly base: string;
  constructor(prefix: string, portalId: string) {
    this.base = `${prefix}:{p:${portalId}}:hs`;
  }
  /** A webhook event already applied (key: a hash of the event, never the contact id in clear). */
  seen = (eventHash: string) => `${this.base}:wh:seen:${eventHash}`;
  /** Per contact: property -> occurredAt of the newest change applied. */
  lastChange = (contactId: string) => `${this.base}:wh:hw:${contactId}`;
  /** Contacts purged for privacy, as salted hashes: late events about them are ignored. */
  purged = () => `${this.base}:purged`;
  /** Privacy purges not finished yet (a call was live): contactId -> JSON of the numbers to forget. */
  pendingPurges = () => `${this.base}:purge`;
  /** The imported national DNC registry version. */
  registry = () => `${this.base}:dncreg`;
  /** A workflow action execution (callbackId). */
  callback = (callbackId: string) => `${this.base}:wf:cb:${callbackId}`;
  /** Unfinished callbacks waiting for one lead's final outcome. */
  leadCallbacks = (campaignId: string, contactId: string) =>
    `${this.base}:wf:lead:${campaignId}:${contactId}`;
  /** Every callback of a contact (privacy purge). */
  contactCallbacks = (contactId: string) => `${this.base}:wf:contact:${contactId}`;
  /** Completions to send to HubSpot: callbackId scored by the next try time. */
  outbox = () => `${this.base}:wf:outbox`;
}
