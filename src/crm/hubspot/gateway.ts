/**
 * Every HubSpot request of the adapter goes through `HubSpotGateway.call`: it takes a slot from the portal's
 * shared rate limiter (interactive or bulk), hands the operation a `Client` holding the portal's current token,
 * and handles the answers that are about the request rather than its content:
 * - 429: the request was not processed, so it is sent again, after a portal-wide pause every process honours:
 *   `Retry-After` when HubSpot gives one, else the whole rolling window (TEN_SECONDLY_ROLLING) or an hour
 *   (DAILY: probed hourly, since the portal's day ends at its own midnight). Work is delayed, never dropped.
 * - 401 with OAuth tokens: the token is dropped and refreshed once, then the request is sent again.
 * Anything else is the caller's to judge (a 5xx on a create is ambiguous; call-log.ts handles that).
 */
import type { Client } from '@hubspot/api-client';
import type { Clock } from '../../shared/clock.js';
import { asHubSpotHttpError, createHubSpotClient } from './client.js';
import type { HubSpotClientOptions } from './client.js';
import type { PortalRateLimiter, RequestPriority } from './rate-limiter.js';
import type { AccessTokenSource } from './tokens.js';

export interface HubSpotGatewayOptions {
  tokens: AccessTokenSource;
  limiter: PortalRateLimiter;
  clock: Clock;
  client?: Omit<HubSpotClientOptions, 'accessToken'>;
  /** Observes each 429 (metrics, bench). */
  onRateLimited?: (portalId: string, policy: string, waitMs: number) => void;
}

export interface GatewayStats {
  requests: number;
  rateLimited: number;
}

/** A HubSpot answer of 429, with how long it asked us to wait. */
export function rateLimitWaitMs(error: unknown): { policy: string; waitMs: number } | undefined {
  const http = asHubSpotHttpError(error);
  if (http?.code !== 429) return undefined;
  const policy = String((http.body as { policyName?: unknown } | undefined)?.policyName ?? 'UNKNOWN');
  const header = Object.entries(http.headers ?? {}).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
  const retryAfterSec = header !== undefined ? Number(header) : Number.NaN;
  if (Number.isFinite(retryAfterSec) && retryAfterSec > 0) return { policy, waitMs: retryAfterSec * 1000 };
  // DAILY without Retry-After: the day ends at midnight in the portal's own time zone, which we do not know;
  // probing again every hour costs at most 24 refused requests a day and loses at most an hour.
  if (policy === 'DAILY') return { policy, waitMs: 3_600_000 };
  // TEN_SECONDLY_ROLLING (or an unnamed secondly limit): a whole window frees every slot.
  return { policy, waitMs: policy === 'TEN_SECONDLY_ROLLING' ? 10_000 : 1_000 };
}

export class HubSpotGateway {
  readonly stats: GatewayStats = { requests: 0, rateLimited: 0 };
  private readonly clients = new Map<string, { token: string; client: Client }>();

  constructor(private readonly options: HubSpotGatewayOptions) {}

  /** Host and agent the clients use (for the few requests sent without a typed SDK API). */
  get clientOptions(): Omit<HubSpotClientOptions, 'accessToken'> {
    return this.options.client ?? {};
  }

  /** Runs one HubSpot request for the portal, at the given priority. */
  async call<T>(
    portalId: string,
    priority: RequestPriority,
    operation: (client: Client, accessToken: string) => Promise<T>,
  ): Promise<T> {
    const { limiter, tokens, clock } = this.options;
    let reauthorized = false;
    for (;;) {
      await limiter.acquire(portalId, priority);
      const token = await tokens.accessToken(portalId);
      this.stats.requests += 1;
      try {
        return await operation(this.clientFor(portalId, token), token);
      } catch (error) {
        const limited = rateLimitWaitMs(error);
        if (limited) {
          this.stats.rateLimited += 1;
          this.options.onRateLimited?.(portalId, limited.policy, limited.waitMs);
          await limiter.pause(portalId, clock.now() + limited.waitMs);
          continue;
        }
        if (asHubSpotHttpError(error)?.code === 401 && tokens.invalidate && !reauthorized) {
          reauthorized = true;
          await tokens.invalidate(portalId);
          continue;
        }
        throw error;
      }
    }
  }

  private clientFor(portalId: string, token: string): Client {
    const cached = this.clients.get(portalId);
    if (cached?.token === token) return cached.client;
    const client = createHubSpotClient({ ...this.options.client, accessToken: token });
    this.clients.set(portalId, { token, client });
    return client;
  }
}
