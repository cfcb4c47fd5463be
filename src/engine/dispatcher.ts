/**
 * The worker loop and dispatch. A worker sleeps until the earliest of (next due lead, pacer slot, lease expiry,
 * next scheduled start) or a wake-up (enroll, resume, pace change, a finished call), never on a fixed poll. A
 * pass reaps expired leases, starts due scheduled campaigns, then dispatches every auto-dialing campaign: per
 * batch, one read of the due leads, the gate's pre-dial check of each, one atomic claim of all of them (the
 * pacer's grant is inside it and the attempts are written as dial-requested), then each goes to the carrier.
 */
import { newAttemptId } from './attempt-ids.js';
import type { CarrierGateway } from './carrier-gateway.js';
import type { ComplianceGate } from './compliance-gate.js';
import type { EngineContext } from './context.js';
import type { EngineEvent } from './events.js';
import { ABANDONED_NUMBER_QUIET_MS, mayRiskAbandonmentAgain } from '../domain/abandonment.js';
import { abandonmentRuleOf, campaignPeriodStart } from './agent-desk.js';
import type { AgentDesk } from './agent-desk.js';
import { routesToAgents } from './call-flow.js';
import { capacityPolicyFor, predictiveDecision } from './modes.js';
import type { CapacityInput } from './modes.js';
import type { PaceControl } from './pace-control.js';
import type { Reaper } from './reaper.js';
import type { BatchCandidate, CampaignRecord, Store } from './store/store.js';
import { Waker, yieldToEventLoop } from './waker.js';

/** Due leads looked at and claimed in one round trip. */
const BATCH = 32;
/** Most dials one campaign gets per pass before the worker looks at the other campaigns. */
const BURST = 256;
/** Under contention, workers start this many batches apart in a long queue instead of all at its head. */
const SPREAD = 4;
/**
 * Expired leases are looked for when the earliest one ends, at most this often (a lease is never shorter than
 * seconds), and at least every half claim lease: another process's leases (it may have died holding them) are
 * then seen before they end. Leases this process takes or shortens itself move the next look (LeaseWatch).
 */
const REAP_EVERY_MS = 1000;
/** A due scheduled start that could not be made (no contacts yet) is tried again at most this often. */
const SCHEDULE_CHECK_EVERY_MS = 1000;
/**
 * A grant may come this long before its slot in the rate window; the call then waits for the slot and goes
 * out on the dot, instead of a whole pass (a few round trips) late, which would pile up window after window.
 */
const GRANT_AHEAD_MS = 30;

/** A claim refused: the campaign's settings are no longer those its pre-dial checks used. */
const SETTINGS_CHANGED = Symbol('settings-changed');
/** Re-reads of a campaign whose settings changed under one dispatch before leaving it to the next pass. */
const SETTINGS_REREADS = 3;

/** A worker whose clock is off the shared clock looks again this often. */
const CLOCK_RECHECK_MS = 1000;

/** One pass over a portal; returns when the next one is needed. */
type PassFn = (portalId: string, stop?: AbortSignal) => Promise<number>;

export class Dispatcher {
  private stopController: AbortController | null = null;
  private pass_: PassFn = (p, s) => this.pass(p, s);
  /** The worker loop of each served portal, with its own stop (a portal can leave while the others run on). */
  private readonly loops = new Map<string, { stop: AbortController; done: Promise<void> }>();
  /** Per portal: a due scheduled start is tried at most this often (one that cannot start waits for overdue). */
  private readonly nextStartCheckAt = new Map<string, number>();
  /** The clock check refused the last pass (its refusal is reported once, when it starts). */
  private clockRefused = false;

  constructor(
    private readonly ctx: EngineContext,
    private readonly gate: ComplianceGate,
    private readonly gateway: CarrierGateway,
    private readonly reaper: Reaper,
    private readonly pace: PaceControl,
    private readonly agents: AgentDesk,
  ) {}

  /**
   * Starts one worker loop per portal (call once per process; run as many processes as needed). `pass`: what
   * each turn of the loop runs, this dispatcher's own pass unless the caller wraps it (instrumentation).
   */
  start(portalIds: string[], pass: PassFn = (p, s) => this.pass(p, s)): void {
    if (this.stopController) throw new Error('engine already started');
    this.stopController = new AbortController();
    this.pass_ = pass;
    this.ctx.looping = true;
    for (const p of portalIds) this.addPortal(p);
  }

  /** Starts the worker loop of a portal that arrived after start() (an OAuth install); no-op when it runs. */
  addPortal(portalId: string): void {
    if (!this.stopController) throw new Error('engine not started');
    if (this.loops.has(portalId)) return;
    const stop = new AbortController();
    const signal = AbortSignal.any([this.stopController.signal, stop.signal]);
    this.loops.set(portalId, { stop, done: this.runPortal(portalId, signal, this.pass_) });
  }

  /** Stops a portal's worker loop (uninstall) and waits for its pass under way to end; the others run on. */
  async removePortal(portalId: string): Promise<void> {
    const loop = this.loops.get(portalId);
    if (!loop) return;
    loop.stop.abort();
    await loop.done;
    if (this.loops.get(portalId) === loop) this.loops.delete(portalId);
  }

  /** The portals this dispatcher runs a loop for. */
  portals(): string[] {
    return [...this.loops.keys()];
  }

  /** Stops dispatching and waits for dials already under way to be recorded. */
  async stop(): Promise<void> {
    this.stopController?.abort();
    await Promise.all([...this.loops.values()].map((l) => l.done));
    await this.ctx.settle();
    this.stopController = null;
    this.ctx.looping = false;
    this.loops.clear();
  }

  private async runPortal(portalId: string, stop: AbortSignal, pass: PassFn): Promise<void> {
    const { clock, leases } = this.ctx;
    const waker = new Waker(clock);
    leases.wakers.set(portalId, waker);
    const off = await this.ctx.store.onWake(portalId, (reason) => {
      if (reason === 'campaign') this.ctx.campaignCache.forget(portalId);
      waker.signal(reason);
    });
    try {
      while (!stop.aborted) {
        let next = Infinity;
        try {
          next = await pass(portalId, stop);
        } catch (error) {
          this.ctx.onError(error);
          next = clock.now() + 1000;
        }
        if (stop.aborted) break;
        // Always one macrotask between passes: a wake-up or "more work now" must not starve timers and I/O.
        await yieldToEventLoop();
        const wait = next - clock.now();
        if (wait > 0) await waker.sleep(Math.min(wait, 60_000), stop);
      }
    } finally {
      if (leases.wakers.get(portalId) === waker) leases.wakers.delete(portalId);
      await off();
    }
  }

  /** One pass: reap expired leases, dispatch every dialing campaign. Returns when the next pass is needed. */
  async pass(portalId: string, stop?: AbortSignal): Promise<number> {
    const { clock, timings, leases, capacity } = this.ctx;
    let next = Infinity;
    // every decision below takes its time from this worker's clock: none while it is off the shared clock
    if (!(await this.clockAllowsDialing())) return clock.now() + CLOCK_RECHECK_MS;
    const now = clock.now();
    if (now >= (leases.nextReapAt.get(portalId) ?? -Infinity)) {
      const expiry = await this.reaper.reap(portalId);
      const poll = Math.max(REAP_EVERY_MS, timings.claimLeaseMs / 2);
      leases.nextReapAt.set(portalId, Math.min(Math.max(expiry, now + REAP_EVERY_MS), now + poll));
    }
    const campaigns = await this.ctx.listCampaigns(portalId);
    next = Math.min(next, await this.runScheduledStarts(portalId, campaigns));
    // agents past their campaign's wrap-up limit are set away
    if (campaigns.some((c) => routesToAgents(c.settings))) {
      next = Math.min(next, await this.agents.expireWrapUps(portalId, campaigns));
    }
    for (const campaign of campaigns) {
      if (stop?.aborted) break;
      if (campaign.status !== 'active') continue;
      if (!capacityPolicyFor(campaign.settings.dialMode.mode, capacity).autoDial) continue;
      next = Math.min(next, await this.dispatch(campaign, stop));
    }
    // read after dispatching: its claims may have moved the next look at the leases earlier
    return Math.min(next, leases.nextReapAt.get(portalId)!);
  }

  /**
   * Checks the worker clock against the shared clock (when the engine was given a bound). Beyond it the pass is
   * skipped: no reaping, no claim, no dial. Reported once when the refusal starts (and on /readyz throughout).
   */
  private async clockAllowsDialing(): Promise<boolean> {
    const guard = this.ctx.clockGuard;
    if (!guard) return true;
    await guard.refresh();
    const refusal = guard.refusal();
    if (refusal && !this.clockRefused) this.ctx.onError(refusal);
    this.clockRefused = refusal !== null;
    return !refusal;
  }

  /**
   * Dials what is due and allowed in one campaign; returns when this campaign next needs attention. A claim
   * refused because the campaign's settings changed after the pre-dial checks (paused, edited, resumed in
   * between) re-reads the campaign and checks the leads again under the new settings: they are never dropped.
   */
  private async dispatch(campaign: CampaignRecord, stop?: AbortSignal): Promise<number> {
    let current = campaign;
    for (let reread = 0; reread < SETTINGS_REREADS; reread++) {
      const next = await this.dispatchUnder(current, stop);
      if (next !== SETTINGS_CHANGED) return next;
      this.ctx.campaignCache.forget(current.portalId);
      const fresh = await this.ctx.store.getCampaign(current.portalId, current.campaignId);
      if (!fresh || fresh.status !== 'active') return Infinity;
      if (!capacityPolicyFor(fresh.settings.dialMode.mode, this.ctx.capacity).autoDial) return Infinity;
      current = fresh;
    }
    // edited again and again while dialing: the next pass reads the campaign afresh
    return this.ctx.clock.now();
  }

  /** One campaign's dispatch under the settings of one version of its record. */
  private async dispatchUnder(
    campaign: CampaignRecord,
    stop?: AbortSignal,
  ): Promise<number | typeof SETTINGS_CHANGED> {
    const { store, clock, timings, observer } = this.ctx;
    const { portalId, campaignId, settings } = campaign;
    const maxLive = await this.capacity(campaign);
    const amd = settings.amd.detection !== 'off';
    // Ofcom: a number whose call was abandoned is not called again within 72 h by a mode that may abandon
    const quietRule = settings.dialMode.mode === 'predictive' ? abandonmentRuleOf(settings) : null;
    const quietMs = quietRule ? ABANDONED_NUMBER_QUIET_MS[quietRule] : 0;
    let dials = 0;
    let spread = false;
    for (let round = 0; dials < BURST && round < BURST && !stop?.aborted; round++) {
      const now = clock.now();
      // Workers racing over a long queue start at different places instead of all claiming its head.
      const offset = spread ? Math.floor(this.ctx.random() * SPREAD) * BATCH : 0;
      let due = await store.peekDue(portalId, campaignId, now, BATCH, offset);
      if (!due.length && offset > 0) due = await store.peekDue(portalId, campaignId, now, BATCH);
      if (!due.length) return (await store.nextDueAt(portalId, campaignId)) ?? Infinity;
      const byCallerId = new Map<string, BatchCandidate[]>();
      /** Per attempt: when the callee's open window ends (the dial's deadline). */
      const windowEnds = new Map<string, number>();
      // one read for the batch: the numbers' dials by every campaign of the portal
      const numberDials = await store.recentDials(
        portalId,
        due.map((l) => l.e164),
        now,
      );
      const abandonedAt =
        quietMs > 0
          ? await store.abandonedNumbers(
              portalId,
              due.map((l) => l.e164),
            )
          : new Map<string, number>();
      for (const lead of due) {
        const lastAbandoned = abandonedAt.get(lead.e164);
        if (
          quietRule &&
          lastAbandoned !== undefined &&
          !mayRiskAbandonmentAgain(quietRule, lastAbandoned, now)
        ) {
          await store.reschedule(portalId, campaignId, lead.contactId, lead.rev, lastAbandoned + quietMs);
          continue;
        }
        if ((await this.gate.preDialCheck(campaign, lead, now, numberDials.get(lead.e164))) !== 'ok')
          continue;
        const from = this.ctx.chooseCallerId(settings, lead.e164);
        const attemptId = newAttemptId(portalId);
        const localHour = await this.gate.localHourOf(campaign, lead, now);
        windowEnds.set(attemptId, await this.gate.openUntil(campaign, lead));
        const started: EngineEvent = {
          type: 'attempt.started',
          portalId,
          campaignId,
          attemptId,
          contactId: lead.contactId,
          to: lead.e164,
          from,
          attempt: lead.progress.attempts + 1,
          dueAt: lead.dueAt ?? now,
          at: now,
        };
        const group = byCallerId.get(from) ?? [];
        group.push({
          contactId: lead.contactId,
          expectRev: lead.rev,
          attemptId,
          from,
          ...(localHour !== undefined ? { localHour } : {}),
          started,
          numberLimits: await this.gate.numberLimitsFor(campaign, lead),
        });
        byCallerId.set(from, group);
      }
      let contended = 0;
      for (const [from, candidates] of byCallerId) {
        const result = await this.claimBatchOrRecover(campaign, candidates, {
          portalId,
          campaignId,
          now,
          candidates,
          claimLeaseUntil: now + timings.claimLeaseMs,
          dialLeaseUntil: this.gateway.dialLease(settings, now),
          pace: this.pace.levelsFor(portalId, from),
          maxLive,
          busyRetryMs: timings.busyRetryMs,
          lockBoundMs: timings.maxCallDurationMs,
          amd,
          earlyMs: GRANT_AHEAD_MS,
          campaignVersion: campaign.version,
        });
        for (const attempt of result.granted) {
          dials++;
          this.ctx.leases.note(portalId, attempt.leaseUntil, false);
          this.ctx.track(this.gateway.send(campaign, attempt, windowEnds.get(attempt.attemptId)));
        }
        for (const d of result.denied) if (d.reason === 'changed' || d.reason === 'not-due') contended++;
        if (!result.stop) continue;
        if (result.stop.reason === 'inactive') return Infinity;
        if (result.stop.reason === 'settings-changed') return SETTINGS_CHANGED;
        if (result.stop.reason === 'paced') {
          const wait = result.stop.waitMs ?? 1;
          observer.pacerWait(portalId, campaignId, wait);
          return now + wait;
        }
        // capacity: a finishing call wakes us; the lease expiry bounds the wait if its callback is lost
        const until = (await store.nextLeaseExpiry(portalId)) ?? now + 1000;
        observer.pacerWait(portalId, campaignId, Math.max(0, until - now));
        return until;
      }
      spread = contended > 0;
      // A batch is a lot of work on a memory store: let callbacks and timers in before the next one.
      await yieldToEventLoop();
    }
    return clock.now();
  }

  /**
   * Most live attempts the campaign may have now. Agents' campaigns: the mode's lines for the idle agents
   * (predictive: the domain controller over the period's tally and the campaign's estimates) plus the calls
   * already connected to an agent, which are live attempts too. Recorded for the monitor.
   */
  private async capacity(campaign: CampaignRecord): Promise<number | null> {
    const { store, clock } = this.ctx;
    const { portalId, campaignId, settings } = campaign;
    const mode = settings.dialMode.mode;
    const policy = capacityPolicyFor(mode, this.ctx.capacity);
    if (mode === 'message') return policy.maxLive({ settings, availableAgents: 0 });
    const agents = await store.agentCounts(portalId, campaignId);
    const input: CapacityInput = { settings, availableAgents: agents.idle, agents };
    const now = clock.now();
    const routed = routesToAgents(settings);
    let tally: { periodStart: number; answered: number; abandoned: number } | undefined;
    if (routed) {
      const start = campaignPeriodStart(campaign, now);
      tally = { periodStart: start, ...(await store.abandonmentTally(portalId, campaignId, start)) };
    }
    if (mode === 'predictive' && tally) {
      const learned = await this.agents.predictiveState(portalId, campaignId);
      input.predictive = { tally, estimates: learned.estimates, aggressiveness: learned.aggressiveness };
    }
    const lines = policy.maxLive(input);
    const maxLive = lines === null || !routed ? lines : lines + agents.talking;
    const decision = mode === 'predictive' ? predictiveDecision(input) : undefined;
    this.ctx.pacing.set(`${portalId}/${campaignId}`, {
      at: now,
      agents,
      maxLive,
      ...(decision
        ? {
            predictive:
              decision.mode === 'predictive'
                ? { mode: 'predictive' as const, headroom: decision.headroom }
                : { mode: 'progressive' as const, fallback: decision.fallback, reason: decision.reason },
          }
        : {}),
      ...(tally ? { tally } : {}),
    });
    return maxLive;
  }

  /**
   * The batch claim, with a way back when its reply is lost (connection error): the claim may have run, and
   * then its attempts are dial-requested and must be dialed, or they would only be reaped as "lost" calls never
   * placed. Each candidate's attempt is looked up by id; those the claim wrote are sent, then the error is
   * thrown on (the pass backs off).
   */
  private async claimBatchOrRecover(
    campaign: CampaignRecord,
    candidates: BatchCandidate[],
    request: Parameters<Store['claimBatch']>[0],
  ) {
    const { store } = this.ctx;
    try {
      return await store.claimBatch(request);
    } catch (error) {
      for (const c of candidates) {
        const attempt = await store.getAttempt(request.portalId, c.attemptId).catch(() => null);
        if (attempt?.state === 'dial-requested' && attempt.claimedAt === request.now) {
          this.ctx.track(this.gateway.send(campaign, attempt));
        }
      }
      throw error;
    }
  }

  /**
   * Starts (or marks overdue) the scheduled campaigns whose start has come, from the list the pass already read.
   * Returns when the pass must run again for the next planned start: workers sleep until then, no polling.
   */
  private async runScheduledStarts(portalId: string, campaigns: readonly CampaignRecord[]): Promise<number> {
    const now = this.ctx.clock.now();
    let planned = Infinity;
    let due = false;
    for (const c of campaigns) {
      if (c.status !== 'scheduled' || !c.settings.startAt) continue;
      const startAt = Date.parse(c.settings.startAt);
      if (startAt > now) planned = Math.min(planned, startAt);
      else due = true;
    }
    if (!due) return planned;
    const checkAt = this.nextStartCheckAt.get(portalId) ?? -Infinity;
    if (now < checkAt) return Math.min(planned, checkAt);
    this.nextStartCheckAt.set(portalId, now + SCHEDULE_CHECK_EVERY_MS);
    const moved = await this.ctx.campaigns.runScheduledStarts(portalId, campaigns);
    if (moved.started.length || moved.overdue.length) {
      this.ctx.campaignCache.forget(portalId);
      return now; // a started campaign dials on the very next pass
    }
    return Math.min(planned, now + SCHEDULE_CHECK_EVERY_MS);
  }
}
