/**
 * Claims in Redis: a due lead becomes an attempt (single and batch claim) and a claimed attempt becomes a dial
 * request, each one Lua script that checks every compliance rule atomically with its writes (see ./lua).
 */
import type { EngineEvent } from '../../events.js';
import { decodeProgress, encodeProgress } from '../codec.js';
import type { PortalKeys } from '../keys.js';
import { DEFAULT_LOCK_BOUND_MS } from '../store.js';
import type {
  BatchClaimRequest,
  BatchClaimResult,
  ClaimDenial,
  ClaimRequest,
  ClaimResult,
  ClaimStore,
  DispatchNote,
  DialRequestDenial,
  NumberLimits,
  PaceLevel,
} from '../store.js';
import { eventArgs } from './context.js';
import type { RedisContext } from './context.js';

/** The number log's script arguments: cap per 24 h (0: none) and minimum gap. */
const limitArgs = (limits: NumberLimits | undefined): [number, number] => [
  limits?.maxPer24h ?? 0,
  limits?.minGapMs ?? 0,
];
const DAY_MS = 86_400_000;

export class RedisClaims implements ClaimStore {
  constructor(private readonly ctx: RedisContext) {}

  private paceKeysAndArgs(k: PortalKeys, campaignId: string, pace: PaceLevel[]) {
    const keys: string[] = [];
    const args: (string | number)[] = [];
    for (const level of pace) {
      const name = level.name === 'campaign' ? `c:${campaignId}` : level.name;
      keys.push(k.paceWindow(name), k.paceLive(name), k.pacePending(name));
      args.push(level.name, level.callsPerSecond, level.maxConcurrent);
    }
    return { keys, args };
  }

  /** A single claim is a batch of one: the same script, so the rules cannot diverge between the two. */
  async claim(req: ClaimRequest): Promise<ClaimResult> {
    const result = await this.runBatch({
      portalId: req.portalId,
      campaignId: req.campaignId,
      now: req.now,
      candidates: [
        {
          contactId: req.contactId,
          expectRev: req.expectRev,
          attemptId: req.attemptId,
          from: req.from,
          ...(req.localHour !== undefined ? { localHour: req.localHour } : {}),
          ...(req.numberLimits ? { numberLimits: req.numberLimits } : {}),
          ...(req.agentId !== undefined ? { agentId: req.agentId } : {}),
        },
      ],
      claimLeaseUntil: req.leaseUntil,
      ...(req.pace ? { pace: req.pace } : {}),
      maxLive: req.maxLive,
      busyRetryMs: req.busyRetryMs,
      ...(req.lockBoundMs !== undefined ? { lockBoundMs: req.lockBoundMs } : {}),
      amd: req.amd,
    });
    const granted = result.granted[0];
    if (granted) return { ok: true, attempt: granted };
    const denied = result.denied[0];
    if (denied) {
      return {
        ok: false,
        reason: denied.reason,
        ...(denied.waitMs !== undefined ? { waitMs: denied.waitMs } : {}),
      };
    }
    const stop = result.stop!;
    // a single claim sends no campaign version, so its batch never stops with settings-changed
    if (stop.reason === 'settings-changed') return { ok: false, reason: 'changed' };
    return { ok: false, reason: stop.reason, ...(stop.waitMs !== undefined ? { waitMs: stop.waitMs } : {}) };
  }

  async claimBatch(req: BatchClaimRequest): Promise<BatchClaimResult> {
    const result = await this.runBatch(req);
    // the batch API answers no per-denial wait (the engine re-peeks the queue instead)
    return { ...result, denied: result.denied.map(({ contactId, reason }) => ({ contactId, reason })) };
  }

  private async runBatch(
    req: BatchClaimRequest,
  ): Promise<BatchClaimResult & { denied: { contactId: string; reason: ClaimDenial; waitMs?: number }[] }> {
    const k = this.ctx.keys(req.portalId);
    const { campaignId } = req;
    const pace = this.paceKeysAndArgs(k, campaignId, req.pace ?? []);
    const keys = [
      k.campaign(campaignId),
      k.due(campaignId),
      k.dnc(),
      k.removed(),
      k.live(),
      k.leases(),
      k.paceTat(),
      k.events(),
      k.paceLive(`c:${campaignId}`),
      ...pace.keys,
      k.numberLog(),
    ];
    const args: (string | number)[] = [
      req.now,
      req.candidates.length,
      req.claimLeaseUntil,
      req.dialLeaseUntil ?? '',
      req.maxLive ?? '',
      req.busyRetryMs,
      req.amd ? '1' : '0',
      req.portalId,
      this.ctx.maxEvents,
      (req.pace ?? []).length,
      req.earlyMs ?? 0,
      req.lockBoundMs ?? DEFAULT_LOCK_BOUND_MS,
      req.campaignVersion ?? '',
      ...pace.args,
    ];
    for (const c of req.candidates) {
      const prior = decodeProgress(c.expectRev);
      keys.push(k.info(campaignId, c.contactId), k.state(campaignId, c.contactId), k.attempt(c.attemptId));
      args.push(
        c.contactId,
        c.expectRev,
        encodeProgress({ ...prior, state: 'dialing', attemptId: c.attemptId }),
        encodeProgress({ ...prior, state: 'removed' }),
        encodeProgress({ ...prior, state: 'dnc' }),
        c.attemptId,
        c.from,
        c.localHour ?? '',
        c.started ? JSON.stringify(c.started) : '',
        ...limitArgs(c.numberLimits),
        c.agentId ?? '',
      );
    }
    const [stop, wait, replies] = (await this.ctx.run('claim_batch', keys, args)) as [
      string,
      string,
      string[][],
    ];
    const result: BatchClaimResult & {
      denied: { contactId: string; reason: ClaimDenial; waitMs?: number }[];
    } = { granted: [], denied: [] };
    const dialing = req.dialLeaseUntil !== undefined;
    replies.forEach((reply, i) => {
      const c = req.candidates[i]!;
      if (reply[0] !== 'ok') {
        const waitMs = reply[1] ? Number(reply[1]) : undefined;
        result.denied.push({
          contactId: c.contactId,
          reason: reply[0] as ClaimDenial,
          ...(waitMs !== undefined ? { waitMs } : {}),
        });
        return;
      }
      const [, to, due, ordinal, levels, notBefore] = reply as [
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      result.granted.push({
        attemptId: c.attemptId,
        portalId: req.portalId,
        campaignId,
        contactId: c.contactId,
        to,
        from: c.from,
        state: dialing ? 'dial-requested' : 'claimed',
        ordinal: Number(ordinal),
        dueAt: Number(due),
        claimedAt: req.now,
        ...(dialing ? { dialRequestedAt: req.now } : {}),
        leaseUntil: req.dialLeaseUntil ?? req.claimLeaseUntil,
        rev: 0,
        priorLead: c.expectRev,
        levels: levels ? levels.split(',') : [],
        ...(c.agentId ? { agentId: c.agentId } : {}),
        amd: req.amd,
        ...(c.localHour !== undefined ? { localHour: c.localHour } : {}),
        ...(Number(notBefore) > req.now ? { notBefore: Number(notBefore) } : {}),
      });
    });
    if (stop) {
      result.stop = {
        reason: stop as 'inactive' | 'capacity' | 'paced' | 'settings-changed',
        ...(wait !== '' ? { waitMs: Number(wait) } : {}),
      };
    }
    return result;
  }

  async noteDispatchedMany(portalId: string, notes: readonly DispatchNote[]) {
    const k = this.ctx.keys(portalId);
    if (!notes.some((n) => n.levels.length)) return;
    // One transaction for the whole tick's sends (see noteDispatched): one round trip however many.
    const multi = this.ctx.conn.multi();
    for (const { attemptId, levels, at } of notes) {
      for (const level of levels) {
        multi.zAdd(k.paceWindow(level), { score: at, value: attemptId }, { GT: true });
        multi.zRem(k.pacePending(level), attemptId);
      }
    }
    await multi.exec();
  }

  async noteDispatched(portalId: string, attemptId: string, levels: readonly string[], at: number) {
    if (!levels.length) return;
    const k = this.ctx.keys(portalId);
    // One transaction: a grant never sees the call both sent and still pending. GT: only ever later than the
    // slot; a send so late that its slot already left the window is added back at its send time.
    const multi = this.ctx.conn.multi();
    for (const level of levels) {
      multi.zAdd(k.paceWindow(level), { score: at, value: attemptId }, { GT: true });
      multi.zRem(k.pacePending(level), attemptId);
    }
    await multi.exec();
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
    const k = this.ctx.keys(portalId);
    let levelKeys: string[];
    let levelArgs: (string | number)[];
    let count: number;
    // campaign and contact of an attempt never change: the script's keys can be read before it runs
    const [campaignId, contactId, levels] = await this.ctx.conn.hmGet(k.attempt(attemptId), ['c', 'k', 'lv']);
    if (!campaignId || !contactId) return { ok: false, reason: 'not-claimed' };
    if (pace) {
      const built = this.paceKeysAndArgs(k, campaignId, pace);
      levelKeys = built.keys;
      levelArgs = built.args;
      count = pace.length;
    } else {
      const names = levels ? levels.split(',') : [];
      levelKeys = names.flatMap((n) => [k.paceWindow(n), k.paceLive(n), k.pacePending(n)]);
      levelArgs = names.flatMap((n) => [n, 0, 0]);
      count = names.length;
    }
    const reply = (await this.ctx.run(
      'dial_requested',
      [
        k.attempt(attemptId),
        k.leases(),
        k.live(),
        k.events(),
        k.paceTat(),
        k.campaign(campaignId),
        ...levelKeys,
        k.state(campaignId, contactId),
        k.dnc(),
        k.removed(),
        k.numberLog(),
      ],
      [
        now,
        leaseUntil,
        attemptId,
        pace ? '1' : '0',
        this.ctx.maxEvents,
        count,
        events.length,
        ...levelArgs,
        ...limitArgs(numberLimits),
        ...eventArgs(events),
      ],
    )) as string[];
    if (reply[0] === 'ok') return { ok: true };
    const reason = reply[0] as DialRequestDenial;
    return { ok: false, reason, ...(reply[1] !== undefined ? { waitMs: Number(reply[1]) } : {}) };
  }

  async recentDials(portalId: string, numbers: readonly string[], now: number) {
    const out = new Map<string, number[]>();
    if (!numbers.length) return out;
    const raw = await this.ctx.conn.hmGet(this.ctx.keys(portalId).numberLog(), [...numbers]);
    numbers.forEach((n, i) => {
      const times = (raw[i] ?? '')
        .split(',')
        .filter(Boolean)
        .map((s) => parseInt(s, 36))
        .filter((t) => t > now - DAY_MS);
      if (times.length) out.set(n, times);
    });
    return out;
  }
}
