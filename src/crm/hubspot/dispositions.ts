/**
 * The portal's own call dispositions (`GET /calling/v1/dispositions`, ids are GUIDs that differ per portal),
 * cached in Redis for an hour and in memory for a minute, and the mapping of the engine's dispositions to them
 * by label. A disposition the portal has no label for is left out of the engagement rather than guessed.
 */
import { z } from 'zod';
import type { Disposition } from '../../domain/outcome.js';
import type { Clock } from '../../shared/clock.js';
import { sdkGetJson } from './client.js';
import type { HubSpotGateway } from './gateway.js';
import { HubSpotKeys } from './keys.js';
import type { RedisClient } from './redis.js';

const PortalDispositionsSchema = z.array(z.object({ id: z.string().min(1), label: z.string() }));
export type PortalDisposition = z.infer<typeof PortalDispositionsSchema>[number];

/** Labels to look for, best first (HubSpot's defaults are Connected, Busy, No answer, Left live message, ...). */
const LABELS: Record<Disposition, string[]> = {
  CONNECTED: ['connected'],
  LEFT_VOICEMAIL: ['left voicemail'],
  LEFT_LIVE_MESSAGE: ['left live message'],
  NO_ANSWER: ['no answer'],
  BUSY: ['busy'],
  WRONG_NUMBER: ['wrong number'],
  FAILED: ['failed', 'no answer'],
  CONFIRMED: ['confirmed', 'connected'],
  DECLINED: ['declined', 'connected'],
  CALLBACK_REQUESTED: ['callback requested', 'call back requested', 'connected'],
  DO_NOT_CALL: ['do not call', 'connected'],
};

export function mapDisposition(
  disposition: Disposition,
  portal: readonly PortalDisposition[],
): string | undefined {
  const byLabel = new Map(portal.map((d) => [d.label.trim().toLowerCase(), d.id]));
  for (const label of LABELS[disposition]) {
    const id = byLabel.get(label);
    if (id) return id;
  }
  return undefined;
}

export class DispositionCache {
  private readonly memory = new Map<string, { at: number; list: PortalDisposition[] }>();

  constructor(
    private readonly options: {
      gateway: HubSpotGateway;
      redis: RedisClient;
      keyPrefix: string;
      clock: Clock;
      memoryTtlMs?: number;
      redisTtlMs?: number;
    },
  ) {}

  async list(portalId: string): Promise<PortalDisposition[]> {
    const { clock, redis, gateway } = this.options;
    const hit = this.memory.get(portalId);
    if (hit && clock.now() - hit.at < (this.options.memoryTtlMs ?? 60_000)) return hit.list;
    const key = new HubSpotKeys(this.options.keyPrefix, portalId).dispositions();
    const cached = await redis.get(key);
    let list: PortalDisposition[];
    if (cached) {
      list = PortalDispositionsSchema.parse(JSON.parse(cached));
    } else {
      const answer = await gateway.call(portalId, 'bulk', (_client, token) =>
        sdkGetJson('/calling/v1/dispositions', { ...gateway.clientOptions, accessToken: token }),
      );
      list = PortalDispositionsSchema.parse(answer);
      await redis.set(key, JSON.stringify(list), { PX: this.options.redisTtlMs ?? 3_600_000 });
    }
    this.memory.set(portalId, { at: clock.now(), list });
    return list;
  }

  async idFor(portalId: string, disposition: Disposition): Promise<string | undefined> {
    return mapDisposition(disposition, await this.list(portalId));
  }
}
