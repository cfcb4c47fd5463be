/** Leads in memory: enrollment, the due queue, lead progress, the DNC and removed sets. */
import type { EngineEvent, LeadState, SkipReason } from '../../events.js';
import { decodeInfo, decodeProgress, encodeInfo, encodeProgress } from '../codec.js';
import type { LeadProgress } from '../codec.js';
import { EMPTY_COUNTS, EMPTY_STATES } from '../store.js';
import type { EnrollResult, EnrollRow, LeadView, LeadStore } from '../store.js';
import { isFinalLead, enrollmentEvent } from './state.js';
import type { CampaignData, MemoryState } from './state.js';

export class MemoryLeads implements LeadStore {
  constructor(private readonly s: MemoryState) {}

  async enroll(
    portalId: string,
    campaignId: string,
    rows: EnrollRow[],
    skipped: { contactId: string; reason: SkipReason }[],
    _now: number,
  ): Promise<EnrollResult> {
    const p = this.s.portal(portalId);
    const c = this.s.campaign(portalId, campaignId);
    const result: EnrollResult = { enrolled: [], skipped: [] };
    const skip = (contactId: string, reason: SkipReason) => {
      if (c.skipped.has(contactId) || c.info.has(contactId)) return;
      c.skipped.set(contactId, reason);
      result.skipped.push({ contactId, reason });
    };
    for (const s of skipped) skip(s.contactId, s.reason);
    for (const row of rows) {
      if (c.info.has(row.contactId)) continue; // already enrolled: idempotent
      const holder = c.numbers.get(row.e164);
      if (holder !== undefined && holder !== row.contactId) {
        skip(row.contactId, 'DUPLICATE');
        continue;
      }
      if (p.dnc.has(row.e164) || p.removed.has(row.contactId)) {
        skip(row.contactId, 'DNC');
        continue;
      }
      c.info.set(row.contactId, encodeInfo(row.e164, row.zone));
      c.numbers.set(row.e164, row.contactId);
      c.due.set(row.contactId, row.dueAt);
      c.enrolled++;
      result.enrolled.push(row.contactId);
    }
    if (result.enrolled.length || result.skipped.length) {
      this.s.events.appendSync(portalId, enrollmentEvent(portalId, campaignId, this.s.clock.now(), result));
      this.s.wakes.emit(portalId, 'enroll');
    }
    return result;
  }

  async enrollmentCounts(portalId: string, campaignId: string) {
    const c = this.s.campaign(portalId, campaignId);
    const counts = EMPTY_COUNTS();
    counts.enrolled = c.enrolled;
    for (const reason of c.skipped.values()) counts[reason]++;
    return counts;
  }

  async skippedContacts(portalId: string, campaignId: string) {
    return [...this.s.campaign(portalId, campaignId).skipped].map(([contactId, reason]) => ({
      contactId,
      reason,
    }));
  }

  private view(c: CampaignData, contactId: string): LeadView | null {
    const info = c.info.get(contactId);
    if (info === undefined) return null;
    const rev = c.progress.get(contactId) ?? '';
    return {
      contactId,
      ...decodeInfo(info),
      progress: decodeProgress(rev),
      rev,
      dueAt: c.due.get(contactId) ?? null,
    };
  }

  async getLead(portalId: string, campaignId: string, contactId: string) {
    return this.view(this.s.campaign(portalId, campaignId), contactId);
  }

  async leadStates(portalId: string, campaignId: string) {
    const c = this.s.campaign(portalId, campaignId);
    const states = EMPTY_STATES();
    for (const id of c.info.keys()) states[decodeProgress(c.progress.get(id)).state]++;
    return states;
  }

  async unenroll(portalId: string, campaignId: string, contactId: string, now: number) {
    const c = this.s.campaign(portalId, campaignId);
    const raw = c.progress.get(contactId);
    if (!c.info.has(contactId) || isFinalLead(raw)) return false;
    c.progress.set(contactId, encodeProgress({ ...decodeProgress(raw), state: 'removed' }));
    c.due.delete(contactId);
    this.s.events.appendSync(portalId, {
      type: 'lead.removed',
      portalId,
      campaignId,
      contactId,
      reason: 'UNENROLLED',
      at: now,
    });
    return true;
  }

  async addDoNotCall(portalId: string, numbers: string[]) {
    for (const n of numbers) this.s.portal(portalId).dnc.add(n);
  }

  async isDoNotCall(portalId: string, number: string) {
    return this.s.portal(portalId).dnc.has(number);
  }

  async removeContact(portalId: string, contactId: string) {
    this.s.portal(portalId).removed.add(contactId);
  }

  async setLeadNumber(portalId: string, campaignId: string, contactId: string, e164: string, zone?: string) {
    const c = this.s.campaign(portalId, campaignId);
    const info = c.info.get(contactId);
    if (!info || isFinalLead(c.progress.get(contactId))) return 'missing' as const;
    const holder = c.numbers.get(e164);
    if (holder !== undefined && holder !== contactId) return 'duplicate' as const;
    const old = decodeInfo(info).e164;
    if (old !== e164 && c.numbers.get(old) === contactId) c.numbers.delete(old);
    c.numbers.set(e164, contactId);
    c.info.set(contactId, encodeInfo(e164, zone));
    return 'updated' as const;
  }

  async purgeContact(portalId: string, contactId: string, numbers: readonly string[]) {
    const p = this.s.portal(portalId);
    if (p.live.has(`c:${contactId}`)) return 'live' as const;
    const known = new Set(numbers);
    const attemptIds = new Set<string>();
    for (const c of p.campaigns.values()) {
      const info = c.info.get(contactId);
      if (info) known.add(decodeInfo(info).e164);
      const last = decodeProgress(c.progress.get(contactId)).attemptId;
      if (last) attemptIds.add(last);
    }
    for (const c of p.campaigns.values()) {
      c.info.delete(contactId);
      c.progress.delete(contactId);
      c.due.delete(contactId);
      c.skipped.delete(contactId);
      for (const n of known) if (c.numbers.get(n) === contactId) c.numbers.delete(n);
    }
    for (const n of known) {
      p.recent.delete(n);
      p.live.delete(`n:${n}`);
    }
    for (const [id, a] of p.attempts) if (a.contactId === contactId || known.has(a.to)) attemptIds.add(id);
    this.s.events.deleteWhere(portalId, (e) => {
      const x = e as { contactId?: string; to?: string; attemptId?: string };
      const hit = x.contactId === contactId || (x.to !== undefined && known.has(x.to));
      if (hit && x.attemptId) attemptIds.add(x.attemptId);
      return hit;
    });
    for (const id of attemptIds) {
      p.attempts.delete(id);
      p.leases.delete(id);
    }
    p.removed.delete(contactId);
    return 'purged' as const;
  }

  async peekDue(portalId: string, campaignId: string, now: number, limit: number, offset = 0) {
    const c = this.s.campaign(portalId, campaignId);
    const due = [...c.due].filter(([, at]) => at <= now);
    due.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
    return due.slice(offset, offset + limit).map(([id]) => this.view(c, id)!);
  }

  async dueCount(portalId: string, campaignId: string) {
    return this.s.campaign(portalId, campaignId).due.size;
  }

  async nextDueAt(portalId: string, campaignId: string) {
    let min: number | null = null;
    for (const at of this.s.campaign(portalId, campaignId).due.values())
      if (min === null || at < min) min = at;
    return min;
  }

  async reschedule(
    portalId: string,
    campaignId: string,
    contactId: string,
    expectRev: string,
    at: number | null,
    finalState?: LeadState,
    events: EngineEvent[] = [],
  ) {
    const c = this.s.campaign(portalId, campaignId);
    if ((c.progress.get(contactId) ?? '') !== expectRev || !c.due.has(contactId)) return false;
    if (finalState) {
      c.progress.set(contactId, encodeProgress({ ...decodeProgress(expectRev), state: finalState }));
      c.due.delete(contactId);
    } else if (at !== null) c.due.set(contactId, at);
    this.s.appendAll(portalId, events);
    return true;
  }

  async updateLead(
    portalId: string,
    campaignId: string,
    contactId: string,
    expectRev: string,
    progress: LeadProgress,
    dueAt: number | null,
    events: EngineEvent[] = [],
  ) {
    const c = this.s.campaign(portalId, campaignId);
    if (!c.info.has(contactId) || (c.progress.get(contactId) ?? '') !== expectRev) return false;
    c.progress.set(contactId, encodeProgress(progress));
    if (dueAt === null) c.due.delete(contactId);
    else c.due.set(contactId, dueAt);
    this.s.appendAll(portalId, events);
    this.s.wakes.emit(portalId, 'wake');
    return true;
  }
}
