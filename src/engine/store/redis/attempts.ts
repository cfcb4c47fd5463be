/**
 * Attempts in Redis after their claim: one hash per attempt, the portal's lease sorted set (the reaper's work
 * list), the live locks and concurrency slots the finish and the requeue release.
 */
import type { EngineEvent } from '../../events.js';
import { encodeProgress } from '../codec.js';
import type {
  AttemptRecord,
  AttemptState,
  AttemptStore,
  DialedMark,
  FinishRequest,
  FinishResult,
  WrapUpRequest,
  WrapUpResult,
} from '../store.js';
import { eventArgs, requestId } from './context.js';
import type { RedisContext } from './context.js';

export class RedisAttempts implements AttemptStore {
  constructor(
    private readonly ctx: RedisContext,
    private readonly wake: (portalId: string) => Promise<void>,
    /** The reaper's pass doubles as the trim's clock for streams nobody acks (see RedisEvents.trimEvents). */
    private readonly trimEvents: (portalId: string) => Promise<number>,
  ) {}

  async getAttempt(portalId: string, attemptId: string): Promise<AttemptRecord | null> {
    const h = await this.ctx.conn.hGetAll(this.ctx.keys(portalId).attempt(attemptId));
    // 'requeued': the tombstone of an undone claim (kept briefly so a re-sent requeue answers the same)
    if (!h.st || h.st === 'requeued') return null;
    return {
      attemptId,
      portalId,
      campaignId: h.c!,
      contactId: h.k!,
      to: h.to!,
      from: h.from!,
      state: h.st as AttemptState,
      ordinal: Number(h.n),
      dueAt: Number(h.due),
      claimedAt: Number(h.cl),
      ...(h.dr ? { dialRequestedAt: Number(h.dr) } : {}),
      ...(h.pid ? { providerCallId: h.pid } : {}),
      leaseUntil: Number(h.lease),
      rev: Number(h.rev),
      ...(h.prog ? { progress: h.prog } : {}),
      priorLead: h.prior ?? '',
      levels: h.lv ? h.lv.split(',') : [],
      ...(h.ag ? { agentId: h.ag } : {}),
      amd: h.amd === '1',
      ...(h.lh ? { localHour: Number(h.lh) } : {}),
      ...(h.wu ? { wrapUp: h.wu } : {}),
      ...(h.nb && Number(h.nb) > Number(h.cl) ? { notBefore: Number(h.nb) } : {}),
    };
  }

  async markDialed(portalId: string, attemptId: string, providerCallId: string) {
    return (
      (await this.ctx.run('mark_dialed', [this.ctx.keys(portalId).attempt(attemptId)], [providerCallId])) ===
      1
    );
  }

  async markDialedMany(portalId: string, marks: readonly DialedMark[]) {
    const k = this.ctx.keys(portalId);
    // Sent in one tick: node-redis writes them as one pipeline, one round trip for all.
    const replies = await Promise.all(
      marks.map((m) => this.ctx.run('mark_dialed', [k.attempt(m.attemptId)], [m.providerCallId])),
    );
    return replies.map((r) => r === 1);
  }

  async saveProgress(
    portalId: string,
    attemptId: string,
    expectRev: number,
    progress: string,
    leaseUntil: number,
    events: EngineEvent[],
    knownLevels?: readonly string[],
  ) {
    const k = this.ctx.keys(portalId);
    let names: readonly string[];
    if (knownLevels) names = knownLevels;
    else {
      const levels = (await this.ctx.conn.hGet(k.attempt(attemptId), 'lv')) ?? '';
      names = levels ? levels.split(',') : [];
    }
    const reply = await this.ctx.run(
      'save_progress',
      [k.attempt(attemptId), k.leases(), k.live(), k.events(), ...names.map((n) => k.paceLive(n))],
      [expectRev, progress, leaseUntil, attemptId, this.ctx.maxEvents, events.length, ...eventArgs(events)],
    );
    return reply === 1;
  }

  async finishAttempt(req: FinishRequest): Promise<FinishResult> {
    const k = this.ctx.keys(req.portalId);
    const id = requestId();
    let hint = req.attempt;
    for (;;) {
      const attempt = hint ?? (await this.getAttempt(req.portalId, req.attemptId));
      hint = undefined;
      if (!attempt) return 'missing';
      if (attempt.state === 'finished') return 'already-finished';
      const reply = (await this.ctx.run(
        'finish',
        [
          k.attempt(req.attemptId),
          k.campaign(attempt.campaignId),
          k.due(attempt.campaignId),
          k.state(attempt.campaignId, attempt.contactId),
          k.live(),
          k.leases(),
          k.events(),
          k.dnc(),
          ...attempt.levels.map((n) => k.paceLive(n)),
        ],
        [
          req.now,
          encodeProgress(req.lead),
          req.nextAt ?? '',
          req.dncNumber ?? '',
          req.pauseCampaign ? '1' : '0',
          attempt.levels.join(','),
          req.attemptId,
          this.ctx.maxEvents,
          k.wakeChannel(),
          req.summary,
          req.events.length,
          req.wrapUp ?? '',
          id,
          req.progress ?? '',
          req.expectRev ?? '',
          ...eventArgs(req.events),
        ],
      )) as string;
      if (reply !== 'stale-levels') return reply as FinishResult;
    }
  }

  async wrapUpAttempt(req: WrapUpRequest): Promise<WrapUpResult> {
    const k = this.ctx.keys(req.portalId);
    if (req.mode === 'pending') {
      return (await this.ctx.run(
        'wrap_up',
        [k.attempt(req.attemptId), k.attempt(req.attemptId), k.attempt(req.attemptId), k.events(), k.dnc()],
        [req.wrapUp, 'pending', '', '', '', '', '', this.ctx.maxEvents, k.wakeChannel(), 0, requestId()],
      )) as WrapUpResult;
    }
    return (await this.ctx.run(
      'wrap_up',
      [
        k.attempt(req.attemptId),
        k.state(req.campaignId, req.contactId),
        k.due(req.campaignId),
        k.events(),
        k.dnc(),
      ],
      [
        req.wrapUp,
        'apply',
        req.contactId,
        req.expectRev,
        encodeProgress(req.lead),
        req.dueAt ?? '',
        req.dncNumber ?? '',
        this.ctx.maxEvents,
        k.wakeChannel(),
        req.events.length,
        requestId(),
        ...eventArgs(req.events),
      ],
    )) as WrapUpResult;
  }

  async requeueClaimed(portalId: string, attemptId: string, at: number, _now: number) {
    const k = this.ctx.keys(portalId);
    const attempt = await this.getAttempt(portalId, attemptId);
    if (!attempt || attempt.state !== 'claimed') return false;
    const reply = await this.ctx.run(
      'requeue',
      [
        k.attempt(attemptId),
        k.due(attempt.campaignId),
        k.state(attempt.campaignId, attempt.contactId),
        k.live(),
        k.leases(),
        ...attempt.levels.map((n) => k.paceLive(n)),
      ],
      [at, attemptId, attempt.levels.join(','), k.wakeChannel(), requestId()],
    );
    return reply === 1;
  }

  async expiredAttempts(portalId: string, now: number, limit: number) {
    // The reaper asks about once a second per portal: the trim's clock for streams nobody acks (no group).
    await this.trimEvents(portalId);
    return this.ctx.conn.zRangeByScore(this.ctx.keys(portalId).leases(), '-inf', now, {
      LIMIT: { offset: 0, count: limit },
    });
  }

  async nextLeaseExpiry(portalId: string) {
    const first = await this.ctx.conn.zRangeWithScores(this.ctx.keys(portalId).leases(), 0, 0);
    return first.length ? first[0]!.score : null;
  }

  async liveCount(portalId: string, level: string, now: number) {
    return this.ctx.conn.zCount(this.ctx.keys(portalId).paceLive(level), `(${now}`, '+inf');
  }

  async setAgentAvailable(portalId: string, campaignId: string, agentId: string, available: boolean) {
    const k = this.ctx.keys(portalId);
    if (available) {
      await this.ctx.conn.sAdd(k.agents(campaignId), agentId);
      await this.wake(portalId);
    } else await this.ctx.conn.sRem(k.agents(campaignId), agentId);
  }

  async availableAgents(portalId: string, campaignId: string) {
    return this.ctx.conn.sCard(this.ctx.keys(portalId).agents(campaignId));
  }
}
