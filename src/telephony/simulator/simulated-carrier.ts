/**
 * A simulated carrier for demos, load tests and end-to-end runs without Twilio. It reports the same CallEvent
 * sequence Twilio's webhooks produce (initiated, ringing, in-progress, amd, then one final status with its
 * duration, SIP and error codes) to the same CallEventSink, and rejects invalid numbers the way Twilio's REST
 * API does, so the engine cannot tell the difference. Each call's fate is drawn from a generator seeded by
 * (seed, attemptId): runs are reproducible whatever order calls are placed in.
 */
import type { AnsweredBy, CallEvent, CallStatus, FinalCallStatus } from '../../domain/call.js';
import { E164Schema } from '../../domain/settings.js';
import type { Clock } from '../../shared/clock.js';
import { TelephonyError } from '../telephony.js';
import type {
  AnsweredRoute,
  CallEventSink,
  CallStatusSnapshot,
  DialRequest,
  Telephony,
} from '../telephony.js';
import { seededRandom } from '../../domain/random.js';

export const SIMULATED_OUTCOMES = ['human', 'busy', 'no-answer', 'machine', 'invalid', 'failed'] as const;
export type SimulatedOutcome = (typeof SIMULATED_OUTCOMES)[number];

/** Relative weights of what happens to a call (they need not sum to 1). */
export type OutcomeMix = Record<SimulatedOutcome, number>;

/** Seconds drawn between min and max; 'short-skewed' favours short values (most calls are short). */
export interface SecondsDistribution {
  minSec: number;
  maxSec: number;
  shape?: 'uniform' | 'short-skewed';
}

export interface SimulatedCarrierOptions {
  sink: CallEventSink;
  clock: Clock;
  seed: number;
  mix?: Partial<OutcomeMix>;
  /** Time from "ringing" to pick-up for answered calls (capped below the request's ring timeout). */
  ringTimeSec?: SecondsDistribution;
  /** Conversation length when a person answers. */
  talkTimeSec?: SecondsDistribution;
  /** Length of a machine's greeting up to the beep. */
  greetingSec?: SecondsDistribution;
  /** Time a dropped voicemail or a message left on a machine takes. */
  messageSec?: SecondsDistribution;
  /** AMD's decision time after pick-up, for 'detect' (the beep takes longer: greetingSec). */
  amdLatencyMs?: { min: number; max: number };
  /** Share of AMD decisions that are wrong (a person taken for a machine, or the reverse). */
  amdErrorRate?: number;
  /** Share of invalid numbers Twilio refuses at dial time (21211/21217); the rest fail later with 13224. */
  invalidRejectedAtDialShare?: number;
  /** Carrier time between the accepted dial and "initiated". */
  setupMs?: number;
  /** Agents' calls: time for a routed lead to join the agent's conference (Twilio: a few hundred ms). */
  conferenceJoinMs?: number;
  /** Agents' calls: length of the safe-harbor message. */
  safeHarborSec?: SecondsDistribution;
  /** Agents' calls: an answered call nobody routes hangs up after this (the hold TwiML's pause). */
  routeWaitMs?: number;
  /** A sink failure is reported here; the simulation carries on as Twilio would. */
  onSinkError?: (error: unknown, event: CallEvent) => void;
}

export const DEFAULT_MIX: OutcomeMix = {
  human: 0.3,
  busy: 0.08,
  'no-answer': 0.32,
  machine: 0.22,
  invalid: 0.05,
  failed: 0.03,
};

export interface SimulatorStats {
  dials: number;
  /** Calls the carrier accepted. */
  placed: number;
  rejectedAtDial: number;
  active: number;
  hungUp: number;
  /** What the carrier decided would happen, per accepted or rejected dial. */
  byOutcome: Record<SimulatedOutcome, number>;
  /** Final statuses delivered. */
  byFinalStatus: Record<FinalCallStatus, number>;
  /** Agents' calls routed into an agent's conference, and to the safe-harbor message. */
  routedToAgent: number;
  routedToSafeHarbor: number;
}

/** FNV-1a: a call's own seed from the run seed and its attemptId. */
function callSeed(seed: number, attemptId: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < attemptId.length; i++) {
    h ^= attemptId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function drawSeconds(random: () => number, d: SecondsDistribution): number {
  const u = random();
  const x = d.shape === 'short-skewed' ? u * u : u;
  return d.minSec + (d.maxSec - d.minSec) * x;
}

function pickOutcome(random: () => number, mix: OutcomeMix): SimulatedOutcome {
  const total = SIMULATED_OUTCOMES.reduce((sum, o) => sum + Math.max(0, mix[o]), 0);
  if (!(total > 0)) throw new RangeError('the outcome mix needs at least one positive weight');
  let r = random() * total;
  for (const o of SIMULATED_OUTCOMES) {
    r -= Math.max(0, mix[o]);
    if (r < 0) return o;
  }
  return 'human';
}

/** One scheduled report: `delayMs` after the previous one. */
type Step =
  | { delayMs: number; kind: 'status'; status: CallStatus; sipResponseCode?: number; errorCode?: number }
  | { delayMs: number; kind: 'amd'; answeredBy: AnsweredBy }
  /** Agents' calls: wait for the engine's route, then talk (`talkMs`) or hear the safe-harbor message. */
  | { delayMs: number; kind: 'route'; talkMs: number; safeHarborMs: number };

interface Plan {
  outcome: SimulatedOutcome;
  rejection?: TelephonyError;
  steps: Step[];
}

interface LiveCall {
  attemptId: string;
  providerCallId: string;
  abort: AbortController;
  sequence: number;
  /** Carrier time since the dial, from the plan: durations come from it, not from timer jitter. */
  elapsedMs: number;
  answeredAtElapsedMs?: number;
  /** Clock time of the pick-up, for calls we hang up mid-step. */
  answeredAt?: number;
  finished: boolean;
  done: Promise<void>;
  /** Agents' calls: where the engine routed the answered call, and the wake-up of a call waiting for it. */
  route?: AnsweredRoute;
  onRoute?: () => void;
}

/** Most calls whose last known state fetchStatus remembers (the oldest are forgotten first). */
const STATUS_MEMORY = 100_000;

export class SimulatedCarrier implements Telephony {
  private readonly options: Required<Omit<SimulatedCarrierOptions, 'mix'>> & { mix: OutcomeMix };
  private readonly dials = new Map<string, Promise<{ providerCallId: string }>>();
  private readonly live = new Map<string, LiveCall>();
  /** Last state of each call, as Twilio's Call resource would report it (fetchStatus). */
  private readonly states = new Map<string, CallStatusSnapshot>();
  private callCounter = 0;
  private readonly counters: SimulatorStats;

  constructor(options: SimulatedCarrierOptions) {
    this.options = {
      sink: options.sink,
      clock: options.clock,
      seed: options.seed,
      mix: { ...DEFAULT_MIX, ...options.mix },
      ringTimeSec: options.ringTimeSec ?? { minSec: 3, maxSec: 20, shape: 'short-skewed' },
      talkTimeSec: options.talkTimeSec ?? { minSec: 15, maxSec: 300, shape: 'short-skewed' },
      greetingSec: options.greetingSec ?? { minSec: 5, maxSec: 15 },
      messageSec: options.messageSec ?? { minSec: 10, maxSec: 30 },
      amdLatencyMs: options.amdLatencyMs ?? { min: 1500, max: 4000 },
      amdErrorRate: options.amdErrorRate ?? 0.05,
      invalidRejectedAtDialShare: options.invalidRejectedAtDialShare ?? 0.7,
      setupMs: options.setupMs ?? 300,
      conferenceJoinMs: options.conferenceJoinMs ?? 400,
      safeHarborSec: options.safeHarborSec ?? { minSec: 6, maxSec: 10 },
      routeWaitMs: options.routeWaitMs ?? 10_000,
      onSinkError: options.onSinkError ?? (() => {}),
    };
    // Validate the mix once, up front, rather than on the first dial.
    pickOutcome(() => 0, this.options.mix);
    this.counters = {
      dials: 0,
      placed: 0,
      rejectedAtDial: 0,
      active: 0,
      hungUp: 0,
      byOutcome: Object.fromEntries(SIMULATED_OUTCOMES.map((o) => [o, 0])) as Record<
        SimulatedOutcome,
        number
      >,
      byFinalStatus: { completed: 0, busy: 0, 'no-answer': 0, failed: 0, canceled: 0 },
      routedToAgent: 0,
      routedToSafeHarbor: 0,
    };
  }

  /** The engine routes an answered agents'-campaign call (see Telephony.routeAnswered). */
  async routeAnswered(providerCallId: string, route: AnsweredRoute): Promise<boolean> {
    const call = this.live.get(providerCallId);
    if (!call || call.finished || call.route) return false;
    call.route = route;
    if (route.kind === 'agent') this.counters.routedToAgent++;
    else this.counters.routedToSafeHarbor++;
    call.onRoute?.();
    return true;
  }

  dial(request: DialRequest): Promise<{ providerCallId: string }> {
    const existing = this.dials.get(request.attemptId);
    if (existing) return existing;
    const placed = this.place(request);
    this.dials.set(request.attemptId, placed);
    // Never sent: the same attemptId may be dialed again later (as with Twilio).
    placed.catch((err: unknown) => {
      if (err instanceof TelephonyError && err.notDialed) this.dials.delete(request.attemptId);
    });
    return placed;
  }

  /** What the carrier knows of the call now: its last reported status, or null for an unknown id. */
  async fetchStatus(providerCallId: string): Promise<CallStatusSnapshot | null> {
    const state = this.states.get(providerCallId);
    return state ? { ...state } : null;
  }

  async hangup(providerCallId: string): Promise<void> {
    const call = this.live.get(providerCallId);
    if (!call || call.finished) return;
    this.counters.hungUp++;
    // Like Twilio: the hangup is accepted now and the final status follows as an event. Not waiting for it
    // also lets a sink hang up from inside handleCallEvent without deadlocking.
    call.abort.abort();
  }

  stats(): SimulatorStats {
    return {
      ...this.counters,
      active: this.live.size,
      byOutcome: { ...this.counters.byOutcome },
      byFinalStatus: { ...this.counters.byFinalStatus },
    };
  }

  /** Resolves once every placed call has delivered its final status. */
  async whenIdle(): Promise<void> {
    while (this.live.size > 0) await Promise.all([...this.live.values()].map((c) => c.done));
  }

  /** The fate of a call, drawn from its own seeded generator (pure given seed and request). */
  plan(request: DialRequest): Plan {
    const o = this.options;
    const random = seededRandom(callSeed(o.seed, request.attemptId));
    const outcome = pickOutcome(random, o.mix);
    const ms = (sec: number) => Math.round(sec * 1000);
    const between = (min: number, max: number) => min + (max - min) * random();
    if (!E164Schema.safeParse(request.to).success) {
      return { outcome: 'invalid', rejection: invalidNumber(request.to, 21211), steps: [] };
    }
    const initiated: Step = { delayMs: o.setupMs, kind: 'status', status: 'initiated' };
    switch (outcome) {
      case 'invalid':
        if (random() < o.invalidRejectedAtDialShare) {
          return { outcome, rejection: invalidNumber(request.to, random() < 0.5 ? 21211 : 21217), steps: [] };
        }
        return {
          outcome,
          steps: [
            initiated,
            {
              delayMs: between(500, 2500),
              kind: 'status',
              status: 'failed',
              errorCode: 13224,
              sipResponseCode: 404,
            },
          ],
        };
      case 'failed':
        return {
          outcome,
          steps: [
            initiated,
            { delayMs: between(500, 5000), kind: 'status', status: 'failed', sipResponseCode: 503 },
          ],
        };
      case 'busy':
        return {
          outcome,
          steps: [
            initiated,
            { delayMs: between(300, 1500), kind: 'status', status: 'ringing' },
            { delayMs: between(500, 3000), kind: 'status', status: 'busy', sipResponseCode: 486 },
          ],
        };
      case 'no-answer':
        return {
          outcome,
          steps: [
            initiated,
            { delayMs: between(300, 1500), kind: 'status', status: 'ringing' },
            {
              delayMs: ms(request.ringTimeoutSec),
              kind: 'status',
              status: 'no-answer',
              sipResponseCode: 487,
            },
          ],
        };
      case 'human':
      case 'machine':
        return { outcome, steps: [initiated, ...this.answeredSteps(request, outcome, random, between)] };
    }
  }

  private answeredSteps(
    request: DialRequest,
    truth: 'human' | 'machine',
    random: () => number,
    between: (min: number, max: number) => number,
  ): Step[] {
    const o = this.options;
    const ms = (sec: number) => Math.round(sec * 1000);
    // Someone who picks up does so before the ring timeout, or the call would be a no-answer.
    const ringMs = Math.min(ms(drawSeconds(random, o.ringTimeSec)), ms(request.ringTimeoutSec) - 1000);
    const steps: Step[] = [
      { delayMs: between(300, 1500), kind: 'status', status: 'ringing' },
      { delayMs: Math.max(0, ringMs), kind: 'status', status: 'in-progress' },
    ];
    const detection = request.flow.kind === 'click-to-call' ? 'off' : request.amd.detection;
    let detectedMachine = false;
    let afterAnswerMs = 0;
    if (detection !== 'off') {
      const wrong = random() < o.amdErrorRate;
      detectedMachine = truth === 'machine' ? !wrong : wrong;
      let answeredBy: AnsweredBy = 'human';
      let latency = between(o.amdLatencyMs.min, o.amdLatencyMs.max);
      if (detectedMachine && detection === 'detect') answeredBy = 'machine_start';
      if (detectedMachine && detection === 'detect-message-end') {
        answeredBy = random() < 0.85 ? 'machine_end_beep' : 'machine_end_silence';
        latency = ms(drawSeconds(random, o.greetingSec));
      }
      steps.push({ delayMs: latency, kind: 'amd', answeredBy });
      afterAnswerMs = latency;
    }
    let remainingMs: number;
    const action = detectedMachine ? request.amd.onMachine : 'connect';
    if (action === 'hangup') remainingMs = between(200, 800);
    else if (action === 'drop-voicemail' && request.amd.voicemail)
      remainingMs = ms(drawSeconds(random, o.messageSec));
    else if (truth === 'machine')
      remainingMs = ms(drawSeconds(random, o.greetingSec) + drawSeconds(random, o.messageSec));
    else remainingMs = ms(drawSeconds(random, o.talkTimeSec));
    remainingMs = Math.max(
      remainingMs - (truth === 'machine' && action === 'connect' ? afterAnswerMs : 0),
      200,
    );
    if (request.flow.kind === 'agent-conference' && action === 'connect') {
      const safeHarborMs = ms(drawSeconds(random, o.safeHarborSec));
      steps.push({ delayMs: 0, kind: 'route', talkMs: remainingMs, safeHarborMs });
      return steps;
    }
    steps.push({ delayMs: remainingMs, kind: 'status', status: 'completed', sipResponseCode: 200 });
    return steps;
  }

  private async place(request: DialRequest): Promise<{ providerCallId: string }> {
    const now = this.options.clock.now();
    if (request.notAfter !== undefined && now > request.notAfter) {
      // Like the Twilio adapter: past the engine's deadline the carrier is not asked at all.
      throw new TelephonyError(
        `not sent: the dial deadline ${new Date(request.notAfter).toISOString()} had passed`,
        undefined,
        undefined,
        true,
        { maybeSent: false, notDialed: true },
      );
    }
    this.counters.dials++;
    const plan = this.plan(request);
    this.counters.byOutcome[plan.outcome]++;
    if (plan.rejection) {
      this.counters.rejectedAtDial++;
      throw plan.rejection;
    }
    this.counters.placed++;
    this.callCounter++;
    const providerCallId = `CA${this.callCounter.toString(16).padStart(32, '0')}`;
    const call: LiveCall = {
      attemptId: request.attemptId,
      providerCallId,
      abort: new AbortController(),
      sequence: 0,
      elapsedMs: 0,
      finished: false,
      done: Promise.resolve(),
    };
    this.live.set(providerCallId, call);
    this.rememberState(providerCallId, { status: 'queued' });
    call.done = this.run(call, plan.steps).finally(() => this.live.delete(providerCallId));
    return { providerCallId };
  }

  /** One pending timer per call: wait for the next step, report it, repeat. */
  private async run(call: LiveCall, steps: Step[]): Promise<void> {
    const { clock } = this.options;
    for (const step of steps) {
      await clock.sleep(step.delayMs, call.abort.signal);
      if (call.abort.signal.aborted) break;
      call.elapsedMs += step.delayMs;
      if (step.kind === 'route') {
        const started = clock.now();
        const route = await this.waitForRoute(call);
        if (route && !call.abort.signal.aborted) {
          const o = this.options;
          await clock.sleep(
            route.kind === 'agent' ? o.conferenceJoinMs + step.talkMs : step.safeHarborMs,
            call.abort.signal,
          );
        }
        if (call.abort.signal.aborted) break;
        call.elapsedMs += clock.now() - started;
        await this.emitStatus(call, 'completed', { sipResponseCode: 200 });
        return;
      }
      if (step.kind === 'amd') {
        const state = this.states.get(call.providerCallId);
        if (state) state.answeredBy = step.answeredBy;
        await this.emit({
          type: 'amd',
          attemptId: call.attemptId,
          providerCallId: call.providerCallId,
          answeredBy: step.answeredBy,
          at: clock.now(),
        });
        continue;
      }
      const final =
        step.status === 'completed' ||
        step.status === 'busy' ||
        step.status === 'no-answer' ||
        step.status === 'failed';
      if (step.status === 'in-progress') {
        call.answeredAt = clock.now();
        call.answeredAtElapsedMs = call.elapsedMs;
      }
      await this.emitStatus(call, step.status, {
        ...(step.sipResponseCode !== undefined ? { sipResponseCode: step.sipResponseCode } : {}),
        ...(step.errorCode !== undefined ? { errorCode: step.errorCode } : {}),
      });
      if (final) return;
    }
    // Hung up by us: an answered call completes, one still ringing is canceled (as Twilio reports it).
    if (call.answeredAt !== undefined) {
      call.elapsedMs = (call.answeredAtElapsedMs ?? 0) + Math.max(0, clock.now() - call.answeredAt);
    }
    await this.emitStatus(call, call.answeredAt !== undefined ? 'completed' : 'canceled', {});
  }

  /** Waits for the engine's route of an answered call, at most routeWaitMs (then the hold TwiML hangs up). */
  private async waitForRoute(call: LiveCall): Promise<AnsweredRoute | undefined> {
    if (call.route) return call.route;
    const wake = new AbortController();
    const onAbort = () => wake.abort();
    call.abort.signal.addEventListener('abort', onAbort);
    call.onRoute = onAbort;
    await this.options.clock.sleep(this.options.routeWaitMs, wake.signal);
    call.abort.signal.removeEventListener('abort', onAbort);
    delete call.onRoute;
    return call.route;
  }

  private async emitStatus(
    call: LiveCall,
    status: CallStatus,
    codes: { sipResponseCode?: number; errorCode?: number },
  ): Promise<void> {
    const now = this.options.clock.now();
    const final =
      status === 'completed' ||
      status === 'busy' ||
      status === 'no-answer' ||
      status === 'failed' ||
      status === 'canceled';
    if (final) {
      call.finished = true;
      this.counters.byFinalStatus[status]++;
    }
    const durationSec =
      call.answeredAtElapsedMs !== undefined
        ? Math.max(0, Math.round((call.elapsedMs - call.answeredAtElapsedMs) / 1000))
        : 0;
    const previous = this.states.get(call.providerCallId);
    this.rememberState(call.providerCallId, {
      status,
      ...(previous?.answeredBy ? { answeredBy: previous.answeredBy } : {}),
      ...(final ? { durationSec } : {}),
      ...codes,
    });
    await this.emit({
      type: 'status',
      attemptId: call.attemptId,
      providerCallId: call.providerCallId,
      status,
      sequence: call.sequence++,
      ...(final ? { durationSec } : {}),
      ...codes,
      at: now,
    });
  }

  private rememberState(providerCallId: string, state: CallStatusSnapshot): void {
    this.states.delete(providerCallId);
    this.states.set(providerCallId, state);
    if (this.states.size > STATUS_MEMORY) {
      const oldest = this.states.keys().next().value;
      if (oldest !== undefined) this.states.delete(oldest);
    }
  }

  private async emit(event: CallEvent): Promise<void> {
    try {
      await this.options.sink.handleCallEvent(event);
    } catch (err) {
      this.options.onSinkError(err, event);
    }
  }
}

function invalidNumber(to: string, code: 21211 | 21217): TelephonyError {
  const message =
    code === 21211
      ? `The 'To' number ${to} is not a valid phone number.`
      : `Phone number ${to} does not appear to be valid`;
  return new TelephonyError(message, code, 400, false);
}
