/** Claims in memory, with the checks of the Redis claim script in the same order (see redis/lua/claim_batch.lua). */
import type { EngineEvent } from '../../events.js';
import { decodeInfo, decodeProgress, encodeProgress } from '../codec.js';
import { moveGrant, prune } from '../../pacer.js';
import type {
  AttemptRecord,
  BatchClaimRequest,
  BatchClaimResult,
  DispatchNote,
  ClaimDenial,
  ClaimRequest,
  ClaimResult,
  DialRequestDenial,
  NumberLimits,
  PaceLevel,
  ClaimStore,
} from '../store.js';
import { DEFAULT_LOCK_BOUND_MS } from '../store.js';
import { clone, numberLogEarliest, numberLogAppend, levelName, DAY_MS } from './state.js';
import type { MemoryState, PortalData } from './state.js';

/**
 * Whether the contact or its number is held by an unfinished attempt (as live_elsewhere in claim_batch.lua). An
 * expired lease means "unknown", never "free": the lock holds until the finish or requeue deletes it, or until
 * `bound` ms past its lease (an orphaned lock).
 */
function liveElsewhere(p: PortalData, contactId: string, e164: string, now: number, bound: number) {
  return [`c:${contactId}`, `n:${e164}`].some((key) => {
    const lock = p.live.get(key);
    if (lock === undefined) return false;
    // a claim never dial-requested cannot become a call once its lease ends (the dial request refuses it)
    return lock.claimOnly ? lock.until > now : lock.until + bound > now;
  });
}

export class MemoryClaims implements ClaimStore {
  constructor(private readonly s: MemoryState) {}

  async claim(req: ClaimRequest, earlyMs = 0, dialing = false): Promise<ClaimResult> {
    const p = this.s.portal(req.portalId);
    const c = this.s.campaign(req.portalId, req.campaignId);
    const { now, contactId } = req;
    const bound = req.lockBoundMs ?? DEFAULT_LOCK_BOUND_MS;
    // attempt ids are unique per request: this one is already this request's grant (as the Redis scripts answer)
    const earlier = p.attempts.get(req.attemptId);
    if (earlier) return { ok: true, attempt: clone(earlier) };
    if (c.status !== 'active') return { ok: false, reason: 'inactive' };
    // The checks in the Redis script's order, so both stores give the same answer to the same request.
    const raw = c.progress.get(contactId) ?? '';
    if (raw !== req.expectRev) {
      // a lead this same claim blocked (a re-sent request) answers the same denial again, as in Redis
      const expected = decodeProgress(req.expectRev);
      if (raw === encodeProgress({ ...expected, state: 'removed' })) return { ok: false, reason: 'removed' };
      if (raw === encodeProgress({ ...expected, state: 'dnc' })) return { ok: false, reason: 'dnc' };
      return { ok: false, reason: 'changed' };
    }
    const info = c.info.get(contactId);
    if (info === undefined) return { ok: false, reason: 'changed' };
    const { e164 } = decodeInfo(info);
    const dueAt = c.due.get(contactId);
    if (dueAt === undefined) return { ok: false, reason: 'not-due' };
    if (dueAt > now) {
      // As the Redis script answers a re-sent claim: a lead this claim moved back (busy number, number limit)
      // answers the same again; any other lead not yet due is not due (its due time is never moved earlier).
      if (liveElsewhere(p, contactId, e164, now, bound) && dueAt === now + req.busyRetryMs) {
        return { ok: false, reason: 'contact-busy', waitMs: req.busyRetryMs };
      }
      if (numberLogEarliest(p, e164, now, req.numberLimits) === dueAt) {
        return { ok: false, reason: 'number-limit', waitMs: dueAt - now };
      }
      return { ok: false, reason: 'not-due' };
    }
    const prior = decodeProgress(raw);
    const blocked: 'removed' | 'dnc' | null = p.removed.has(contactId)
      ? 'removed'
      : p.dnc.has(e164)
        ? 'dnc'
        : null;
    if (blocked) {
      c.progress.set(contactId, encodeProgress({ ...prior, state: blocked }));
      c.due.delete(contactId);
      this.s.events.appendSync(req.portalId, {
        type: 'lead.removed',
        portalId: req.portalId,
        campaignId: req.campaignId,
        contactId,
        reason: blocked === 'dnc' ? 'DNC' : 'DELETED',
        at: now,
      });
      return { ok: false, reason: blocked };
    }
    if (liveElsewhere(p, contactId, e164, now, bound)) {
      c.due.set(contactId, now + req.busyRetryMs);
      return { ok: false, reason: 'contact-busy', waitMs: req.busyRetryMs };
    }
    // the per-number cap and gap hold portal-wide: too soon moves the lead to the earliest allowed time
    const earliest = numberLogEarliest(p, e164, now, req.numberLimits);
    if (earliest > now) {
      c.due.set(contactId, earliest);
      return { ok: false, reason: 'number-limit', waitMs: earliest - now };
    }
    const campaignLevel = this.s.level(p, `c:${req.campaignId}`);
    if (req.maxLive !== null) {
      prune(campaignLevel, now);
      if (campaignLevel.live.size >= req.maxLive) return { ok: false, reason: 'capacity' };
    }
    let notBefore = now;
    if (req.pace) {
      const granted = this.s.acquire(
        p,
        c,
        req.campaignId,
        req.pace,
        now,
        req.attemptId,
        req.leaseUntil,
        earlyMs,
        dialing,
      );
      if (!granted.ok) return { ok: false, reason: 'paced', waitMs: granted.waitMs };
      notBefore = granted.notBefore;
    }
    // commit
    c.due.delete(contactId);
    c.progress.set(contactId, encodeProgress({ ...prior, state: 'dialing', attemptId: req.attemptId }));
    const claimOnly = dialing ? {} : { claimOnly: true };
    p.live.set(`c:${contactId}`, { attemptId: req.attemptId, until: req.leaseUntil, ...claimOnly });
    p.live.set(`n:${e164}`, { attemptId: req.attemptId, until: req.leaseUntil, ...claimOnly });
    const attempt: AttemptRecord = {
      attemptId: req.attemptId,
      portalId: req.portalId,
      campaignId: req.campaignId,
      contactId,
      to: e164,
      from: req.from,
      state: 'claimed',
      ordinal: prior.attempts + 1,
      dueAt,
      claimedAt: now,
      leaseUntil: req.leaseUntil,
      rev: 0,
      priorLead: raw,
      levels: req.pace ? req.pace.map((l) => levelName(l, req.campaignId)) : [],
      amd: req.amd,
      ...(req.agentId !== undefined ? { agentId: req.agentId } : {}),
      ...(req.localHour !== undefined ? { localHour: req.localHour } : {}),
      ...(notBefore > now ? { notBefore } : {}),
    };
    p.attempts.set(req.attemptId, attempt);
    p.leases.set(req.attemptId, req.leaseUntil);
    return { ok: true, attempt: clone(attempt) };
  }

  async claimBatch(req: BatchClaimRequest): Promise<BatchClaimResult> {
    const result: BatchClaimResult = { granted: [], denied: [] };
    const leaseUntil = req.dialLeaseUntil ?? req.claimLeaseUntil;
    for (const c of req.candidates) {
      // as the Redis script: a re-sent grant answers again; else an active campaign's settings must be the
      // version the pre-dial checks used
      if (req.campaignVersion !== undefined && this.settingsChanged(req, c.attemptId)) {
        result.stop = { reason: 'settings-changed' };
        return result;
      }
      const r = await this.claim(
        {
          portalId: req.portalId,
          campaignId: req.campaignId,
          contactId: c.contactId,
          expectRev: c.expectRev,
          attemptId: c.attemptId,
          from: c.from,
          now: req.now,
          leaseUntil,
          ...(req.pace ? { pace: req.pace } : {}),
          maxLive: req.maxLive,
          busyRetryMs: req.busyRetryMs,
          ...(req.lockBoundMs !== undefined ? { lockBoundMs: req.lockBoundMs } : {}),
          amd: req.amd,
          ...(c.localHour !== undefined ? { localHour: c.localHour } : {}),
          ...(c.numberLimits ? { numberLimits: c.numberLimits } : {}),
          ...(c.agentId !== undefined ? { agentId: c.agentId } : {}),
        },
        req.earlyMs ?? 0,
        req.dialLeaseUntil !== undefined,
      );
      if (r.ok) {
        const p = this.s.portal(req.portalId);
        const a = p.attempts.get(c.attemptId)!;
        if (req.dialLeaseUntil !== undefined && a.state === 'claimed') {
          a.state = 'dial-requested';
          a.dialRequestedAt = req.now;
          numberLogAppend(p, a.to, a.notBefore ?? req.now);
          if (c.started) this.s.appendAll(req.portalId, [c.started]);
        }
        result.granted.push(clone(a));
        continue;
      }
      if (r.reason === 'inactive' || r.reason === 'capacity' || r.reason === 'paced') {
        result.stop = { reason: r.reason, ...(r.waitMs !== undefined ? { waitMs: r.waitMs } : {}) };
        return result;
      }
      result.denied.push({ contactId: c.contactId, reason: r.reason as ClaimDenial });
    }
    return result;
  }

  private settingsChanged(req: BatchClaimRequest, attemptId: string): boolean {
    if (this.s.portal(req.portalId).attempts.has(attemptId)) return false;
    const c = this.s.campaign(req.portalId, req.campaignId);
    if (c.status !== 'active') return false; // answered as 'inactive' by the claim
    return (JSON.parse(c.record) as { version: number }).version !== req.campaignVersion;
  }

  async noteDispatchedMany(portalId: string, notes: readonly DispatchNote[]) {
    for (const n of notes) await this.noteDispatched(portalId, n.attemptId, n.levels, n.at);
  }

  async noteDispatched(portalId: string, attemptId: string, levels: readonly string[], at: number) {
    const p = this.s.portal(portalId);
    for (const name of levels) moveGrant(this.s.level(p, name), attemptId, at);
  }

  async markDialRequested(
    portalId: string,
    attemptId: string,
    now: number,
    leaseUntil: number,
    events: EngineEvent[],
    pace?: PaceLevel[],
    numberLimits?: NumberLimits,
  ): Promise<{ ok: true } | { ok: false; reason: DialRequestDenial; waitMs?: number }> {
    const p = this.s.portal(portalId);
    const a = p.attempts.get(attemptId);
    if (a?.state === 'dial-requested' && a.dialRequestedAt === now && a.leaseUntil === leaseUntil)
      return { ok: true }; // this same request again
    if (!a || a.state !== 'claimed') return { ok: false, reason: 'not-claimed' };
    // a preview claim is held for minutes: everything the claim checked is checked again at the dial
    if (a.leaseUntil <= now) return { ok: false, reason: 'expired' };
    const c = this.s.campaign(portalId, a.campaignId);
    if (c.status !== 'active') return { ok: false, reason: 'inactive' };
    if (p.removed.has(a.contactId)) return { ok: false, reason: 'removed' };
    if (p.dnc.has(a.to)) return { ok: false, reason: 'dnc' };
    const lead = decodeProgress(c.progress.get(a.contactId));
    if (lead.state !== 'dialing' || lead.attemptId !== attemptId) return { ok: false, reason: 'changed' };
    const earliest = numberLogEarliest(p, a.to, now, numberLimits);
    if (earliest > now) return { ok: false, reason: 'number-limit', waitMs: earliest - now };
    let sendAt = Math.max(now, a.notBefore ?? now);
    if (pace) {
      const granted = this.s.acquire(p, c, a.campaignId, pace, now, attemptId, leaseUntil, 0, true);
      if (!granted.ok) return { ok: false, reason: 'paced', waitMs: granted.waitMs };
      a.levels = pace.map((l) => levelName(l, a.campaignId));
      sendAt = Math.max(now, granted.notBefore);
    }
    numberLogAppend(p, a.to, sendAt);
    a.state = 'dial-requested';
    a.dialRequestedAt = now;
    this.s.extendLease(p, a, leaseUntil);
    this.s.appendAll(portalId, events);
    return { ok: true };
  }

  async recentDials(portalId: string, numbers: readonly string[], now: number) {
    const p = this.s.portal(portalId);
    const out = new Map<string, number[]>();
    for (const n of numbers) {
      const times = (p.recent.get(n) ?? []).filter((t) => t > now - DAY_MS);
      if (times.length) out.set(n, times);
    }
    return out;
  }
}
