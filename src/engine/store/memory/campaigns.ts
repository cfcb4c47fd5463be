/** Campaign records in memory (optimistic versions, as in Redis). */
import type { EngineEvent } from '../../events.js';
import type { CampaignRecord, CampaignStore } from '../store.js';
import type { MemoryState } from './state.js';

export class MemoryCampaigns implements CampaignStore {
  constructor(private readonly s: MemoryState) {}

  async createCampaign(record: CampaignRecord): Promise<boolean> {
    const p = this.s.portal(record.portalId);
    if (p.campaigns.has(record.campaignId)) return false;
    p.campaigns.set(record.campaignId, {
      record: JSON.stringify(record),
      status: record.status,
      cps: record.settings.pace.callsPerSecond,
      cap: record.settings.pace.maxConcurrentCalls,
      info: new Map(),
      progress: new Map(),
      numbers: new Map(),
      due: new Map(),
      skipped: new Map(),
      enrolled: 0,
      agents: new Set(),
    });
    return true;
  }

  async getCampaign(portalId: string, campaignId: string): Promise<CampaignRecord | null> {
    const c = this.s.portal(portalId).campaigns.get(campaignId);
    return c ? { ...(JSON.parse(c.record) as CampaignRecord), status: c.status } : null;
  }

  async listCampaigns(portalId: string): Promise<CampaignRecord[]> {
    const ids = [...this.s.portal(portalId).campaigns.keys()];
    return (await Promise.all(ids.map((id) => this.getCampaign(portalId, id)))).filter(
      (c): c is CampaignRecord => c !== null,
    );
  }

  async saveCampaign(record: CampaignRecord, events: EngineEvent[] = []): Promise<boolean> {
    const c = this.s.portal(record.portalId).campaigns.get(record.campaignId);
    if (!c) return false;
    const stored = JSON.parse(c.record) as CampaignRecord;
    if (stored.version !== record.version - 1) return false;
    c.record = JSON.stringify(record);
    c.status = record.status;
    c.cps = record.settings.pace.callsPerSecond;
    c.cap = record.settings.pace.maxConcurrentCalls;
    this.s.appendAll(record.portalId, events);
    this.s.wakes.emit(record.portalId, 'campaign');
    return true;
  }
}
