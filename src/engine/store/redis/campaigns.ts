/** Campaign records in Redis: one hash per campaign (JSON record + status/version fields), a set per portal. */
import type { EngineEvent } from '../../events.js';
import type { CampaignRecord, CampaignStore } from '../store.js';
import { eventArgs, requestId } from './context.js';
import type { RedisContext } from './context.js';

export class RedisCampaigns implements CampaignStore {
  constructor(private readonly ctx: RedisContext) {}

  private campaignArgs(record: CampaignRecord, expect: number, events: EngineEvent[]) {
    const k = this.ctx.keys(record.portalId);
    return {
      keys: [k.campaign(record.campaignId), k.campaigns(), k.events()],
      args: [
        expect,
        JSON.stringify(record),
        record.status,
        record.settings.pace.callsPerSecond,
        record.settings.pace.maxConcurrentCalls,
        record.campaignId,
        record.version,
        record.updatedAt,
        this.ctx.maxEvents,
        k.wakeChannel(),
        events.length,
        requestId(),
        ...eventArgs(events),
      ],
    };
  }

  async createCampaign(record: CampaignRecord): Promise<boolean> {
    const { keys, args } = this.campaignArgs({ ...record, version: Math.max(1, record.version) }, 0, []);
    return (await this.ctx.run('save_campaign', keys, args)) === 1;
  }

  async getCampaign(portalId: string, campaignId: string): Promise<CampaignRecord | null> {
    const [rec, status, v, upd] = await this.ctx.conn.hmGet(this.ctx.keys(portalId).campaign(campaignId), [
      'rec',
      'status',
      'v',
      'upd',
    ]);
    if (!rec) return null;
    return {
      ...(JSON.parse(rec) as CampaignRecord),
      status: status as CampaignRecord['status'],
      version: Number(v),
      updatedAt: Number(upd),
    };
  }

  async listCampaigns(portalId: string): Promise<CampaignRecord[]> {
    const ids = await this.ctx.conn.sMembers(this.ctx.keys(portalId).campaigns());
    const all = await Promise.all(ids.sort().map((id) => this.getCampaign(portalId, id)));
    return all.filter((c): c is CampaignRecord => c !== null);
  }

  async saveCampaign(record: CampaignRecord, events: EngineEvent[] = []): Promise<boolean> {
    if (record.version < 2) return false;
    const { keys, args } = this.campaignArgs(record, record.version - 1, events);
    return (await this.ctx.run('save_campaign', keys, args)) === 1;
  }
}
