/**
 * What we know about the call engagements we wrote, in Redis (shared by every writeback process):
 * attemptId -> engagement id, and the recorded intent (attemptId -> when we first tried to create it).
 */
import { HubSpotKeys } from './keys.js';
import type { RedisClient } from './redis.js';

export interface CallLedger {
  /** Engagement ids already known for these attempts (missing ones are absent from the map). */
  known(portalId: string, attemptIds: string[]): Promise<Map<string, string>>;
  /** Records attemptId -> engagement id. */
  remember(portalId: string, pairs: [attemptId: string, callId: string][]): Promise<void>;
  /**
   * Records the intent to create these engagements (only where none is recorded yet) and returns, for each
   * attempt that already had one, when it was first recorded: a create may have reached HubSpot before.
   */
  markIntent(portalId: string, attemptIds: string[], now: number): Promise<Map<string, number>>;
  /**
   * Counts distinct attempts of contacts in their campaigns (idempotent per attempt id): for each item, the
   * number of attempts of that contact in that campaign, this one included.
   */
  countAttempts(
    portalId: string,
    items: { campaignId: string; contactId: string; attemptId: string }[],
  ): Promise<number[]>;
}

/** Ids and intents are kept this long: far beyond any redelivery or wrap-up of an attempt. */
export const LEDGER_RETENTION_MS = 30 * 86_400_000;

export class RedisCallLedger implements CallLedger {
  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
  ) {}

  async known(portalId: string, attemptIds: string[]): Promise<Map<string, string>> {
    const result = new Map<string, string>();
    if (!attemptIds.length) return result;
    const keys = new HubSpotKeys(this.keyPrefix, portalId);
    const ids = await this.redis.mGet(attemptIds.map((a) => keys.callId(a)));
    attemptIds.forEach((a, i) => {
      const id = ids[i];
      if (id) result.set(a, id);
    });
    return result;
  }

  async remember(portalId: string, pairs: [string, string][]): Promise<void> {
    if (!pairs.length) return;
    const keys = new HubSpotKeys(this.keyPrefix, portalId);
    const multi = this.redis.multi();
    for (const [attemptId, callId] of pairs)
      multi.set(keys.callId(attemptId), callId, { PX: LEDGER_RETENTION_MS });
    await multi.exec();
  }

  async markIntent(portalId: string, attemptIds: string[], now: number): Promise<Map<string, number>> {
    const earlier = new Map<string, number>();
    if (!attemptIds.length) return earlier;
    const keys = new HubSpotKeys(this.keyPrefix, portalId);
    const before = await this.redis.mGet(attemptIds.map((a) => keys.callIntent(a)));
    attemptIds.forEach((a, i) => {
      if (before[i]) earlier.set(a, Number(before[i]));
    });
    const fresh = attemptIds.filter((a) => !earlier.has(a));
    if (fresh.length) {
      const multi = this.redis.multi();
      for (const a of fresh)
        multi.set(keys.callIntent(a), String(now), { NX: true, PX: LEDGER_RETENTION_MS });
      await multi.exec();
    }
    return earlier;
  }

  async countAttempts(
    portalId: string,
    items: { campaignId: string; contactId: string; attemptId: string }[],
  ): Promise<number[]> {
    if (!items.length) return [];
    const keys = new HubSpotKeys(this.keyPrefix, portalId);
    const multi = this.redis.multi();
    for (const { campaignId, contactId, attemptId } of items) {
      const key = keys.contactAttempts(campaignId, contactId);
      multi
        .sAdd(key, attemptId)
        .sCard(key)
        .pExpire(key, 90 * 86_400_000);
    }
    const replies = await multi.exec();
    return items.map((_, i) => Number(replies[i * 3 + 1]));
  }
}
