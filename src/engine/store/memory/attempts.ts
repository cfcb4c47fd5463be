/** Attempts in memory after their claim: progress, wrap-ups, finish, requeue, leases, dial-mode inputs. */
import type { EngineEvent } from '../../events.js';
import { encodeProgress } from '../codec.js';
import { prune } from '../../pacer.js';
import type {
  WrapUpRequest,
  WrapUpResult,
  CampaignRecord,
  FinishRequest,
  FinishResult,
  AttemptStore,
  DialedMark,
} from '../store.js';
import { clone, isFinalLead } from './state.js';
import type { MemoryState } from './state.js';

export class MemoryAttempts implements AttemptStore {
  constructor(private readonly s: MemoryState) {}

  async wrapUpAttempt(req: WrapUpRequest): Promise<WrapUpResult> {
    const p = this.s.portal(req.portalId);
    const a = p.attempts.get(req.attemptId);
    if (!a) return 'missing';
    if (a.wrapUp) return a.wrapUp === req.wrapUp ? 'same' : 'conflict';
    if (req.mode === 'pending') {
      if (a.state === 'finished') return 'finished';
      a.wrapUp = req.wrapUp;
      return 'saved';
    }
    if (a.state !== 'finished') return 'not-finished';
    const c = this.s.campaign(req.portalId, req.campaignId);
    if ((c.progress.get(req.contactId) ?? '') !== req.expectRev) return 'changed';
    if (req.dncNumber) p.dnc.add(req.dncNumber);
    c.progress.set(req.contactId, encodeProgress(req.lead));
    if (req.dueAt === null) c.due.delete(req.contactId);
    else c.due.set(req.contactId, req.dueAt);
    a.wrapUp = req.wrapUp;
    this.s.appendAll(req.portalId, req.events);
    this.s.wakes.emit(req.portalId, 'wrap-up');
    return 'applied';
  }

  async getAttempt(portalId: string, attemptId: string) {
    const a = this.s.portal(portalId).attempts.get(attemptId);
    return a ? clone(a) : null;
  }

  async markDialed(portalId: string, attemptId: string, providerCallId: string) {
    const a = this.s.portal(portalId).attempts.get(attemptId);
    if (!a) return false;
    if (a.state === 'dialed' && a.providerCallId === providerCallId) return true; // this same call again
    if (a.state !== 'dial-requested') {
      // A fast final callback finished the attempt first: it keeps its state but learns its call id (as in Redis).
      a.providerCallId ??= providerCallId;
      return false;
    }
    a.state = 'dialed';
    a.providerCallId = providerCallId;
    return true;
  }

  async markDialedMany(portalId: string, marks: readonly DialedMark[]) {
    const out: boolean[] = [];
    for (const m of marks) out.push(await this.markDialed(portalId, m.attemptId, m.providerCallId));
    return out;
  }

  async saveProgress(
    portalId: string,
    attemptId: string,
    expectRev: number,
    progress: string,
    leaseUntil: number,
    events: EngineEvent[],
    _levels?: readonly string[],
  ) {
    const p = this.s.portal(portalId);
    const a = p.attempts.get(attemptId);
    if (!a || a.rev !== expectRev || a.state === 'finished') return false;
    a.progress = progress;
    a.rev++;
    this.s.extendLease(p, a, leaseUntil);
    this.s.appendAll(portalId, events);
    return true;
  }

  async finishAttempt(req: FinishRequest): Promise<FinishResult> {
    const p = this.s.portal(req.portalId);
    const a = p.attempts.get(req.attemptId);
    if (!a) return 'missing';
    if (a.state === 'finished') return 'already-finished';
    if ((a.wrapUp ?? '') !== (req.wrapUp ?? '')) return 'stale-wrap-up';
    if (req.expectRev !== undefined && a.rev !== req.expectRev) return 'stale-progress';
    if (req.progress !== undefined) {
      a.progress = req.progress;
      a.rev++;
    }
    const c = this.s.campaign(req.portalId, a.campaignId);
    const current = c.progress.get(a.contactId);
    // A lead removed or flagged while its call was live stays removed: the retry is dropped.
    if (!isFinalLead(current)) {
      c.progress.set(a.contactId, encodeProgress(req.lead));
      if (req.nextAt !== null) c.due.set(a.contactId, req.nextAt);
      else c.due.delete(a.contactId);
    }
    this.s.releaseHolds(p, a);
    if (req.dncNumber) p.dnc.add(req.dncNumber);
    if (req.pauseCampaign && c.status === 'active') {
      const record = JSON.parse(c.record) as CampaignRecord;
      c.status = 'paused';
      c.record = JSON.stringify({
        ...record,
        status: 'paused',
        version: record.version + 1,
        updatedAt: req.now,
      });
    }
    a.state = 'finished';
    this.s.appendAll(req.portalId, req.events);
    this.s.wakes.emit(req.portalId, 'finish');
    return 'finished';
  }

  async requeueClaimed(portalId: string, attemptId: string, at: number, _now: number) {
    const p = this.s.portal(portalId);
    const a = p.attempts.get(attemptId);
    if (!a || a.state !== 'claimed') return false;
    const c = this.s.campaign(portalId, a.campaignId);
    const current = c.progress.get(a.contactId);
    if (!isFinalLead(current)) {
      if (a.priorLead) c.progress.set(a.contactId, a.priorLead);
      else c.progress.delete(a.contactId);
      c.due.set(a.contactId, at);
    }
    this.s.releaseHolds(p, a);
    p.attempts.delete(attemptId);
    this.s.wakes.emit(portalId, 'requeue');
    return true;
  }

  async expiredAttempts(portalId: string, now: number, limit: number) {
    return [...this.s.portal(portalId).leases]
      .filter(([, until]) => until <= now)
      .sort((a, b) => a[1] - b[1])
      .slice(0, limit)
      .map(([id]) => id);
  }

  async nextLeaseExpiry(portalId: string) {
    let min: number | null = null;
    for (const until of this.s.portal(portalId).leases.values()) if (min === null || until < min) min = until;
    return min;
  }

  async liveCount(portalId: string, level: string, now: number) {
    const s = this.s.level(this.s.portal(portalId), level);
    prune(s, now);
    return s.live.size;
  }

  async setAgentAvailable(portalId: string, campaignId: string, agentId: string, available: boolean) {
    const agents = this.s.campaign(portalId, campaignId).agents;
    if (available) agents.add(agentId);
    else agents.delete(agentId);
    if (available) this.s.wakes.emit(portalId, 'agents');
  }

  async availableAgents(portalId: string, campaignId: string) {
    return this.s.campaign(portalId, campaignId).agents.size;
  }
}
