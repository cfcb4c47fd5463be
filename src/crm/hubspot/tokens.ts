/**
 * Access tokens per portal.
 *
 * - `StaticTokenSource`: one portal, a private app's token from `HUBSPOT_ACCESS_TOKEN` (never expires).
 * - `OAuthTokenManager`: many portals installed through OAuth. Tokens live in Redis, sealed with AES-256-GCM
 *   (token-crypto.ts). A token is refreshed `refreshMarginMs` before it expires. Refresh is single-flight across
 *   processes: the process that wins a Redis lock (SET NX PX) refreshes and stores; the others wait for the
 *   stored token to change, then use it. HubSpot refresh tokens stay valid after a refresh, but two concurrent
 *   refreshes would still double the token traffic and race on which access token is stored last.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../shared/clock.js';
import { createHubSpotClient } from './client.js';
import type { HubSpotClientOptions } from './client.js';
import { HubSpotKeys, installedPortalsKey } from './keys.js';
import type { RedisClient } from './redis.js';
import type { TokenCipher } from './token-crypto.js';

export interface AccessTokenSource {
  /** A valid access token for the portal (refreshed first when close to expiry). */
  accessToken(portalId: string): Promise<string>;
  /** The token was refused (401): forget it so the next call refreshes. */
  invalidate?(portalId: string): Promise<void>;
}

export class PortalNotInstalledError extends Error {
  constructor(readonly portalId: string) {
    super(`HubSpot portal ${portalId} has not installed the app (no tokens stored)`);
    this.name = 'PortalNotInstalledError';
  }
}

export class StaticTokenSource implements AccessTokenSource {
  constructor(
    private readonly portalId: string,
    private readonly token: string,
  ) {}

  async accessToken(portalId: string): Promise<string> {
    if (portalId !== this.portalId) throw new PortalNotInstalledError(portalId);
    return this.token;
  }
}

export const StoredTokensSchema = z.object({
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1),
  /** Epoch ms. */
  expiresAt: z.number(),
  scopes: z.array(z.string()).default([]),
});
export type StoredTokens = z.infer<typeof StoredTokensSchema>;

/** The encrypted token store in Redis (one blob per portal) and the registry of installed portals. */
export class TokenVault {
  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
    private readonly cipher: TokenCipher,
  ) {}

  async save(portalId: string, tokens: StoredTokens): Promise<void> {
    const sealed = this.cipher.encrypt(JSON.stringify(tokens), portalId);
    await this.redis.set(new HubSpotKeys(this.keyPrefix, portalId).tokens(), sealed);
    await this.redis.sAdd(installedPortalsKey(this.keyPrefix), portalId);
  }

  async load(portalId: string): Promise<StoredTokens | null> {
    const sealed = await this.redis.get(new HubSpotKeys(this.keyPrefix, portalId).tokens());
    if (!sealed) return null;
    return StoredTokensSchema.parse(JSON.parse(this.cipher.decrypt(sealed, portalId)));
  }

  /** Uninstall: the tokens and the portal's entry go. */
  async remove(portalId: string): Promise<void> {
    await this.redis.del(new HubSpotKeys(this.keyPrefix, portalId).tokens());
    await this.redis.sRem(installedPortalsKey(this.keyPrefix), portalId);
  }

  portals(): Promise<string[]> {
    return this.redis.sMembers(installedPortalsKey(this.keyPrefix));
  }
}

/**
 * KEYS: [1] lock
 * ARGV: [1] owner token
 * Result: 1 when this owner's lock was released, 0 when it had expired or belongs to another owner.
 * Invariant: a process never releases a lock another process holds.
 */
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export interface OAuthTokenManagerOptions {
  redis: RedisClient;
  keyPrefix: string;
  vault: TokenVault;
  clientId: string;
  clientSecret: string;
  clock: Clock;
  /** Refresh this long before expiry (default 5 minutes). */
  refreshMarginMs?: number;
  /** Lock lifetime: a crashed refresher blocks the others at most this long (default 15 s). */
  lockTtlMs?: number;
  /** How often a waiting process looks for the new token (default 100 ms). */
  pollMs?: number;
  client?: HubSpotClientOptions;
}

export class OAuthTokenManager implements AccessTokenSource {
  private readonly inFlight = new Map<string, Promise<string>>();
  private readonly margin: number;
  private readonly lockTtl: number;
  private readonly pollMs: number;
  /** Refresh requests this process sent (tests and metrics). */
  refreshes = 0;

  constructor(private readonly options: OAuthTokenManagerOptions) {
    this.margin = options.refreshMarginMs ?? 5 * 60_000;
    this.lockTtl = options.lockTtlMs ?? 15_000;
    this.pollMs = options.pollMs ?? 100;
  }

  async accessToken(portalId: string): Promise<string> {
    const tokens = await this.options.vault.load(portalId);
    if (!tokens) throw new PortalNotInstalledError(portalId);
    if (tokens.expiresAt - this.margin > this.options.clock.now()) return tokens.accessToken;
    // Single-flight inside the process; the Redis lock makes it single-flight across processes.
    let pending = this.inFlight.get(portalId);
    if (!pending) {
      pending = this.refresh(portalId, tokens).finally(() => this.inFlight.delete(portalId));
      this.inFlight.set(portalId, pending);
    }
    return pending;
  }

  async invalidate(portalId: string): Promise<void> {
    const tokens = await this.options.vault.load(portalId);
    if (tokens) await this.options.vault.save(portalId, { ...tokens, expiresAt: 0 });
  }

  private async refresh(portalId: string, seen: StoredTokens): Promise<string> {
    const { redis, vault, clock } = this.options;
    const lockKey = new HubSpotKeys(this.options.keyPrefix, portalId).refreshLock();
    const owner = randomBytes(12).toString('hex');
    const deadline = clock.now() + this.lockTtl * 4;
    for (;;) {
      const got = await redis.set(lockKey, owner, { NX: true, PX: this.lockTtl });
      if (got === 'OK') {
        try {
          // Another process may have refreshed between our read and our lock.
          const current = (await vault.load(portalId)) ?? seen;
          if (current.expiresAt - this.margin > clock.now()) return current.accessToken;
          const client = createHubSpotClient(this.options.client);
          this.refreshes += 1;
          const answer = await client.oauth.tokensApi.create(
            'refresh_token',
            undefined,
            undefined,
            this.options.clientId,
            this.options.clientSecret,
            current.refreshToken,
          );
          const next: StoredTokens = {
            accessToken: answer.accessToken,
            refreshToken: answer.refreshToken || current.refreshToken,
            expiresAt: clock.now() + answer.expiresIn * 1000,
            scopes: current.scopes,
          };
          await vault.save(portalId, next);
          return next.accessToken;
        } finally {
          await redis.eval(RELEASE_LUA, { keys: [lockKey], arguments: [owner] });
        }
      }
      // Someone else is refreshing: wait for the stored token to change (or the lock to lapse, then try it).
      await clock.sleep(this.pollMs);
      const current = await vault.load(portalId);
      if (!current) throw new PortalNotInstalledError(portalId);
      if (current.accessToken !== seen.accessToken && current.expiresAt - this.margin > clock.now()) {
        return current.accessToken;
      }
      if (clock.now() > deadline)
        throw new Error(`token refresh for portal ${portalId} did not finish in time`);
    }
  }
}
