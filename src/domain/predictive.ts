/**
 * Predictive pacing: how many calls a campaign may have in flight so that an agent is freed just as a call is
 * answered, without ever letting the abandonment rate of the period pass its limit.
 *
 * Two layers, and the first one is the law:
 *  1. A hard cap. Lines beyond the agents idle right now may all be answered with nobody free; there may never be
 *     more of them than the period's abandonment headroom (`abandonmentHeadroom`). Whatever the estimates say and
 *     whatever the callees do, the period's rate then stays at or below the limit.
 *  2. A model under that cap. The agents free by the time a new line is answered are the idle ones plus each busy
 *     one with the chance it finishes within a line's life (those in wrap-up are nearly done); to have a person on
 *     the line for each of them, the campaign keeps `1 / answerRate` lines in flight per such agent:
 *     lines = k * (idle + expected freeing) / answerRate.
 *     `k`, the aggressiveness, is learned from the campaign's own answered calls (stochastic approximation toward
 *     a target of 80 % of the limit): every connected call nudges it up a little, every abandoned one pulls it down
 *     hard; and the target shrinks to zero as the period's measured rate nears the limit (hard back-off).
 * The controller falls back to progressive (one line per idle agent, which cannot abandon) when prediction is
 * not safe: too few agents logged in, too few calls to estimate from, an answer rate too low to predict, or no
 * headroom left. The reason is returned for the monitor.
 */
import { abandonmentHeadroom, abandonmentRate } from './abandonment.js';
import type { AbandonmentTally } from './abandonment.js';

/** What the campaign has measured about its own calls. */
export interface CallEstimates {
  /** Share of dials answered by a person (not a machine, not unanswered). */
  humanAnswerRate: number;
  /** Mean time a line is in flight, from dial to its answer or its end, ms. */
  lineMs: number;
  /** Mean time an agent spends per connected call: talk plus wrap-up, ms. */
  handleMs: number;
  /** Mean wrap-up time, ms. */
  wrapMs: number;
  /** Finished dials behind `humanAnswerRate` and `lineMs`. */
  samples: number;
  /** Handled calls behind `handleMs`. */
  handledSamples: number;
}

export const NO_ESTIMATES: CallEstimates = {
  humanAnswerRate: 0,
  lineMs: 20_000,
  handleMs: 180_000,
  wrapMs: 30_000,
  samples: 0,
  handledSamples: 0,
};

/** How many recent samples the moving estimates weigh (older ones fade out). */
export const ESTIMATE_WINDOW = 300;

function blend(current: number, sample: number, seen: number): number {
  const weight = 1 / Math.min(seen + 1, ESTIMATE_WINDOW);
  return current + (sample - current) * weight;
}

/** Folds one finished dial into the estimates: answered by a person or not, after `lineMs` in flight. */
export function recordDial(est: CallEstimates, human: boolean, lineMs: number): CallEstimates {
  return {
    ...est,
    humanAnswerRate: blend(est.humanAnswerRate, human ? 1 : 0, est.samples),
    lineMs: blend(est.lineMs, lineMs, est.samples),
    samples: est.samples + 1,
  };
}

/** Folds one handled call (talk plus wrap-up) into the estimates. */
export function recordHandled(est: CallEstimates, handleMs: number, wrapMs: number): CallEstimates {
  return {
    ...est,
    handleMs: blend(est.handleMs, handleMs, est.handledSamples),
    wrapMs: blend(est.wrapMs, wrapMs, est.handledSamples),
    handledSamples: est.handledSamples + 1,
  };
}

export interface PredictiveTuning {
  /** Fewer agents logged in than this: fall back to progressive (small teams make prediction noisy). */
  minAgents: number;
  /** Fewer finished dials than this: keep learning in progressive. */
  minSamples: number;
  /** A person answers fewer dials than this share: fall back (too many lines per answer to predict safely). */
  minAnswerRate: number;
  /** Never more lines in flight than this many per logged-in agent. */
  maxLinesPerAgent: number;
  /** The learned aggressiveness aims the abandonment rate at this share of the limit. */
  targetShareOfLimit: number;
  /** Learning rate of the aggressiveness, and its bounds. */
  learningRate: number;
  /** The aggressiveness a campaign starts with (1 = dial exactly for the agents expected to be free). */
  initialAggressiveness: number;
  minAggressiveness: number;
  maxAggressiveness: number;
  /**
   * An agent counts as freeing up if it is likely to within this share of a line's life: an answer that comes
   * before the agent is free is abandoned, so only agents about to free are worth dialing for.
   */
  horizonShare: number;
}

export const DEFAULT_PREDICTIVE_TUNING: PredictiveTuning = {
  minAgents: 8,
  minSamples: 30,
  minAnswerRate: 0.08,
  maxLinesPerAgent: 5,
  targetShareOfLimit: 0.8,
  learningRate: 0.05,
  initialAggressiveness: 0.5,
  minAggressiveness: 0.1,
  maxAggressiveness: 3,
  horizonShare: 0.25,
};

function targetRate(limitPct: number, tally: AbandonmentTally, tuning: PredictiveTuning): number {
  const limit = limitPct / 100;
  const backOff = limit > 0 ? Math.max(0, 1 - abandonmentRate(tally) / limit) : 0;
  return limit * tuning.targetShareOfLimit * backOff;
}

/**
 * The aggressiveness after one more call answered by a person: a connected call raises it by `rate * target`, an
 * abandoned one lowers it by `rate * (1 - target)`, so it settles where the abandoned share equals the target.
 */
export function nextAggressiveness(
  k: number,
  abandoned: boolean,
  limitPct: number,
  tally: AbandonmentTally,
  tuningOverrides: Partial<PredictiveTuning> = {},
): number {
  const tuning = { ...DEFAULT_PREDICTIVE_TUNING, ...tuningOverrides };
  const target = targetRate(limitPct, tally, tuning);
  const next = k + tuning.learningRate * (target - (abandoned ? 1 : 0));
  return Math.min(tuning.maxAggressiveness, Math.max(tuning.minAggressiveness, next));
}

export interface PredictiveInput {
  /** The campaign's abandonment limit, percent (at most 3). */
  limitPct: number;
  /** The current period's counts. */
  tally: AbandonmentTally;
  agentsLoggedIn: number;
  /** Available agents with no call: each can take an answered call at once. */
  agentsIdle: number;
  /** Agents on a call. */
  agentsTalking: number;
  /** Agents in wrap-up after a call: they free up soonest. */
  agentsWrapping: number;
  estimates: CallEstimates;
  /** Learned by `nextAggressiveness`; `tuning.initialAggressiveness` for a new campaign. */
  aggressiveness: number;
  tuning?: Partial<PredictiveTuning>;
}

export type FallbackReason = 'TOO_FEW_AGENTS' | 'LEARNING' | 'LOW_ANSWER_RATE' | 'NO_HEADROOM';

export type PredictiveDecision =
  | { mode: 'predictive'; maxLive: number; headroom: number }
  | { mode: 'progressive'; maxLive: number; fallback: FallbackReason; reason: string };

function pct(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}

/**
 * The most calls the campaign may have in flight now (lines dialing plus answered calls waiting for an agent).
 * The caller dials `maxLive - linesInFlight` new calls when positive.
 */
export function predictiveCapacity(input: PredictiveInput): PredictiveDecision {
  const tuning = { ...DEFAULT_PREDICTIVE_TUNING, ...input.tuning };
  const idle = Math.max(0, input.agentsIdle);
  const fallBack = (fallback: FallbackReason, reason: string): PredictiveDecision => ({
    mode: 'progressive',
    maxLive: idle,
    fallback,
    reason,
  });
  const est = input.estimates;
  if (input.agentsLoggedIn < tuning.minAgents) {
    return fallBack(
      'TOO_FEW_AGENTS',
      `${input.agentsLoggedIn} agent(s) logged in: predictive needs at least ${tuning.minAgents} to predict safely`,
    );
  }
  if (est.samples < tuning.minSamples) {
    return fallBack('LEARNING', `learning the answer rate (${est.samples} of ${tuning.minSamples} calls)`);
  }
  if (est.humanAnswerRate < tuning.minAnswerRate) {
    return fallBack(
      'LOW_ANSWER_RATE',
      `answer rate ${pct(est.humanAnswerRate)} is below ${pct(tuning.minAnswerRate)}: too few answers to predict safely`,
    );
  }
  const headroom = abandonmentHeadroom(input.tally, input.limitPct);
  if (headroom === 0) {
    return fallBack(
      'NO_HEADROOM',
      `no abandonment headroom this period (${pct(abandonmentRate(input.tally))} of the ${input.limitPct} % limit, ` +
        `${input.tally.answered} answered)`,
    );
  }
  // agents free by the time a new line is answered: the idle ones, and each busy one with the chance its
  // (exponentially distributed) remaining time is shorter than the horizon
  const horizon = est.lineMs * tuning.horizonShare;
  const freeing =
    idle +
    Math.max(0, input.agentsTalking) * (1 - Math.exp(-horizon / Math.max(1, est.handleMs))) +
    Math.max(0, input.agentsWrapping) * (1 - Math.exp(-horizon / Math.max(1, est.wrapMs)));
  const wanted = Math.floor((input.aggressiveness * freeing) / est.humanAnswerRate);
  const cap = Math.min(idle + headroom, Math.max(idle, input.agentsLoggedIn * tuning.maxLinesPerAgent));
  return { mode: 'predictive', maxLive: Math.max(idle, Math.min(cap, wanted)), headroom };
}
