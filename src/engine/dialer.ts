/**
 * The dialing engine's facade: one object for callers (app wiring, demo, bench, tests) over the modules that
 * do the work, which share one EngineContext (ports, settings, hooks, per-process caches):
 *
 * - dispatcher: the worker loop, passes, dispatch and scheduled starts;
 * - compliance-gate: every "may this call go out now?" decision;
 * - carrier-gateway: sending dial-requested attempts to the carrier and handling failed dials;
 * - call-outcome: carrier events, classification and the one atomic finish per attempt;
 * - reaper: expired leases; preview: preview mode and agents; wrap-up: reps' wrap-ups;
 * - pace-control: pacer levels and pace cuts; click-to-call: reps' manual calls.
 *
 * Attempt states: claimed -> dial-requested -> dialed -> finished. `dial-requested` is written BEFORE the carrier
 * is asked, so after a crash an attempt that may have reached the carrier is never dialed again: it waits for its
 * callbacks until its lease ends, then is finalized as a technical error and the lead follows its retry policy.
 * Any number of workers may run over one Redis store: every decision that must be exclusive is one atomic
 * store call.
 */
import type { WrapUp } from '../domain/outcome.js';
import type { CallEvent, CallEventSink } from '../telephony/telephony.js';
import type { AgentDirectory } from './call-flow.js';
import { AgentDesk } from './agent-desk.js';
import type { AgentView } from './agent-desk.js';
import { CallOutcomes } from './call-outcome.js';
import type { CampaignService } from './campaigns.js';
import { CarrierGateway } from './carrier-gateway.js';
import { ClickToCall } from './click-to-call.js';
import { ComplianceGate } from './compliance-gate.js';
import { EngineContext } from './context.js';
import type { CampaignPacing, EngineOptions } from './context.js';
import { Dispatcher } from './dispatcher.js';
import { PaceControl } from './pace-control.js';
import type { TelephonyWarning } from './pace-control.js';
import { PreviewDesk } from './preview.js';
import { Reaper } from './reaper.js';
import type { Store } from './store/store.js';
import { WrapUps } from './wrap-up.js';

// Symbols that lived in this file before the split, re-exported so existing imports keep working.
export { newAttemptId, portalOfAttempt } from './attempt-ids.js';
export { MANUAL_CAMPAIGN_ID, callFlowFor, dialRequestFor } from './call-flow.js';
export type { AgentDirectory } from './call-flow.js';
export { DEFAULT_LIMITS, DEFAULT_TIMINGS } from './context.js';
export type { EngineLimits, EngineOptions, EngineTimings } from './context.js';
export type { TelephonyWarning } from './pace-control.js';

export class Engine implements CallEventSink {
  readonly store: Store;
  readonly campaigns: CampaignService;
  /** Agent id -> phone number: this process's setAgentAvailable numbers, then the configured directory. */
  readonly agentNumber: AgentDirectory;
  private readonly dispatcher: Dispatcher;
  private readonly outcomes: CallOutcomes;
  private readonly reaper: Reaper;
  private readonly preview: PreviewDesk;
  private readonly wrapUps: WrapUps;
  private readonly pace: PaceControl;
  private readonly manual: ClickToCall;
  private readonly agents: AgentDesk;
  private readonly ctx: EngineContext;

  constructor(options: EngineOptions) {
    const ctx = new EngineContext(options);
    this.ctx = ctx;
    this.store = ctx.store;
    this.campaigns = ctx.campaigns;
    this.agentNumber = ctx.agentNumber;
    const gate = new ComplianceGate(ctx);
    this.pace = new PaceControl(ctx);
    this.agents = new AgentDesk(ctx);
    this.outcomes = new CallOutcomes(ctx, gate, this.agents);
    const gateway = new CarrierGateway(ctx, gate, this.outcomes);
    this.reaper = new Reaper(ctx, this.outcomes);
    this.dispatcher = new Dispatcher(ctx, gate, gateway, this.reaper, this.pace, this.agents);
    this.preview = new PreviewDesk(ctx, gate, gateway, this.pace);
    this.wrapUps = new WrapUps(ctx, gate, this.agents);
    this.manual = new ClickToCall(ctx, gate, this.preview, this.outcomes);
  }

  // ------------------------------------------------------------------ worker loop

  /**
   * The readiness check of this worker's clock: resolves while it is within the bound of the shared clock (or
   * unchecked), rejects naming the measured skew when it is not (the worker then does not dial). A failed
   * measurement (store unreachable) keeps the last answer: the store's own check reports the outage.
   */
  /** True when this worker checks its clock against the shared clock (EngineOptions.clockCheck). */
  get checksClock(): boolean {
    return this.ctx.clockGuard !== null;
  }

  async clockCheck(): Promise<void> {
    const guard = this.ctx.clockGuard;
    if (!guard) return;
    try {
      await guard.refresh();
    } catch (error) {
      if (guard.skewMs === null) throw error;
    }
    const refusal = guard.refusal();
    if (refusal) throw refusal;
  }

  /** Starts one worker loop per portal (call once per process; run as many processes as needed). */
  start(portalIds: string[]): void {
    // the loop runs pass() through the facade, so a wrapped engine.pass sees every pass
    this.dispatcher.start(portalIds, (p, s) => this.pass(p, s));
  }

  /** Starts the worker loop of a portal installed after start() (no-op when it already runs). */
  addPortal(portalId: string): void {
    this.dispatcher.addPortal(portalId);
  }

  /** Stops one portal's worker loop (the app was uninstalled); the other portals keep dialing. */
  removePortal(portalId: string): Promise<void> {
    return this.dispatcher.removePortal(portalId);
  }

  /** The portals this engine runs a worker loop for. */
  portals(): string[] {
    return this.dispatcher.portals();
  }

  /** Stops dispatching and waits for dials already under way to be recorded. */
  stop(): Promise<void> {
    return this.dispatcher.stop();
  }

  /** One pass: reap expired leases, dispatch every dialing campaign. Returns when the next pass is needed. */
  pass(portalId: string, stop?: AbortSignal): Promise<number> {
    return this.dispatcher.pass(portalId, stop);
  }

  /** Recovers expired leases (any worker runs it). Returns the next lease expiry. */
  reap(portalId: string): Promise<number> {
    return this.reaper.reap(portalId);
  }

  // ------------------------------------------------------------------ carrier events

  /** Idempotent and order-tolerant (see CallOutcomes.handleCallEvent). */
  handleCallEvent(event: CallEvent): Promise<void> {
    return this.outcomes.handleCallEvent(event);
  }

  /** The carrier queued our calls: lower the campaign's pace (see PaceControl). */
  handleTelephonyWarning(w: TelephonyWarning) {
    return this.pace.handleTelephonyWarning(w);
  }

  // ------------------------------------------------------------------ reps

  setAgentAvailable(
    portalId: string,
    campaignId: string,
    agentId: string,
    available: boolean,
    number?: string,
  ) {
    return this.preview.setAgentAvailable(portalId, campaignId, agentId, available, number);
  }

  /**
   * An agent's presence and campaign logins, from the dialer card or the API: `{ state: 'available' | 'away' |
   * 'offline', campaigns?: [{ campaignId, priority }] }` (a lower priority number is served first). Bad input
   * throws EngineInputError; `result` says when the state could not change yet (on a call, wrap-up owed).
   */
  setAgentPresence(portalId: string, agentId: string, input: unknown) {
    return this.agents.setPresence(portalId, agentId, input);
  }

  /** An agent's presence, its pinned conference, and the contact of its current call (the screen pop). */
  getAgent(portalId: string, agentId: string): Promise<AgentView | null> {
    return this.agents.getAgent(portalId, agentId);
  }

  /** Every agent of the portal with its presence. */
  listAgents(portalId: string) {
    return this.store.listAgents(portalId);
  }

  /**
   * How the campaign was last paced by this process: its agents by state, the abandonment period's counts,
   * and for predictive campaigns whether they dial predictively or fell back (and why). Undefined before the
   * first pass over it.
   */
  campaignPacing(portalId: string, campaignId: string): CampaignPacing | undefined {
    return this.ctx.pacing.get(`${portalId}/${campaignId}`);
  }

  claimPreview(portalId: string, campaignId: string, agentId: string) {
    return this.preview.claimPreview(portalId, campaignId, agentId);
  }

  dialPreview(portalId: string, claimId: string) {
    return this.preview.dialPreview(portalId, claimId);
  }

  skipPreview(portalId: string, claimId: string): Promise<boolean> {
    return this.preview.skipPreview(portalId, claimId);
  }

  wrapUp(portalId: string, attemptId: string, wrap: WrapUp): Promise<void> {
    return this.wrapUps.wrapUp(portalId, attemptId, wrap);
  }

  /** A rep's manual call from the dialer card (see click-to-call.ts). */
  clickToCall(portalId: string, input: unknown) {
    return this.manual.clickToCall(portalId, input);
  }

  /**
   * The rep answered a click-to-call (the carrier asks for the contact leg's TwiML): DNC and legal hours are
   * checked again; a refusal ends the attempt and says what to tell the rep.
   */
  clickToCallAnswered(attemptId: string) {
    return this.manual.answered(attemptId);
  }
}
