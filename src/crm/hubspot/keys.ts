/**
 * Redis keys of the HubSpot adapter. Like the engine's (src/engine/store/keys.ts), every key of a portal carries
 * the hash tag `{p:<portalId>}`, so the limiter's Lua script and the token lock stay in one Cluster slot.
 */
export class HubSpotKeys {
  readonly base: string;

  constructor(
    prefix: string,
    readonly portalId: string,
  ) {
    this.base = `${prefix}:{p:${portalId}}:hs`;
  }

  /** Encrypted OAuth tokens of the portal. */
  tokens = () => `${this.base}:tokens`;
  /** Single-flight refresh lock (SET NX PX). */
  refreshLock = () => `${this.base}:tokens:lock`;
  /** Limiter: request log of the rolling ten-second window (sorted set, score = grant time). */
  window = () => `${this.base}:rl:win`;
  /** Limiter: requests granted on one (UTC) day. */
  day = (yyyymmdd: string) => `${this.base}:rl:day:${yyyymmdd}`;
  /** Limiter: no request before this time (set after a 429). */
  pausedUntil = () => `${this.base}:rl:pause`;
  /** Portal facts learned once: whether calls accept a unique `autodial_attempt_id`, properties installed. */
  portalInfo = () => `${this.base}:info`;
  /** Dispositions of the portal (JSON cache). */
  dispositions = () => `${this.base}:dispositions`;
  /** The call engagement id of an attempt (expires after the retention of call-ledger.ts). */
  callId = (attemptId: string) => `${this.base}:call:${attemptId}`;
  /** When we started to create the engagement of an attempt (the recorded intent). */
  callIntent = (attemptId: string) => `${this.base}:intent:${attemptId}`;
  /** Attempt ids of one contact in one campaign (the "attempts in the current campaign" property). */
  contactAttempts = (campaignId: string, contactId: string) => `${this.base}:att:${campaignId}:${contactId}`;
  /** Resumable cursor of a list enrollment. */
  enrollment = (campaignId: string, listId: string) => `${this.base}:enroll:${campaignId}:${listId}`;
}

/**
 * Keys not tied to one portal: the install registry (which portals have tokens). A set of every portal cannot
 * carry one portal's `{p:<id>}` hash tag, so it is a global key on its own slot; it is only read and written
 * with single-key commands (SADD/SREM/SMEMBERS), never together with a portal's keys, so Redis Cluster is fine.
 */
export const installedPortalsKey = (prefix: string) => `${prefix}:hs:portals`;
