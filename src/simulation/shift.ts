/**
 * A simulated agent shift: N agents work one campaign for a few hours while a dial mode (progressive, power or
 * predictive) decides how many lines to keep in flight. Discrete-event and seeded, so a run is repeatable and an
 * 8-hour shift takes milliseconds. It models what the dial mode cannot see ahead: when each line is answered, by
 * whom, how long each talk and wrap-up lasts, and the 2-second rule (an answered person with no agent connected
 * within 2 s hears the safe-harbor message, and the call counts as abandoned).
 *
 * Agents keep a pinned audio leg: joining an answered lead to an agent's conference takes `connectDelayMs`
 * (bridging, then the agent's tone), so a lead answered while an agent is idle waits only that long.
 */
import TinyQueue from 'tinyqueue';
import { abandonmentRate, addAnswer, EMPTY_TALLY, periodStart } from '../domain/abandonment.js';
import type { AbandonmentRule, AbandonmentTally } from '../domain/abandonment.js';
import {
  DEFAULT_PREDICTIVE_TUNING,
  NO_ESTIMATES,
  nextAggressiveness,
  predictiveCapacity,
  recordDial,
  recordHandled,
} from '../domain/predictive.js';
import type { CallEstimates, PredictiveTuning } from '../domain/predictive.js';
import { seededRandom } from '../domain/random.js';

export type ShiftDialMode =
  | { mode: 'progressive' }
  | { mode: 'power'; linesPerAgent: number }
  | { mode: 'predictive'; limitPct: number; rule?: AbandonmentRule; tuning?: Partial<PredictiveTuning> };

export interface ShiftConfig {
  agents: number;
  /** Share of dials a person answers. */
  humanAnswerRate: number;
  /** Share of dials a machine answers (voicemail: no agent needed). */
  machineAnswerRate: number;
  shiftMs: number;
  /** Mean time until a person (or machine) answers. */
  answerDelayMeanMs: number;
  /** How long an unanswered line rings before it is given up. */
  ringTimeoutMs: number;
  talkMeanMs: number;
  wrapMeanMs: number;
  /** Bridging an answered lead into the agent's pinned conference, tone included. */
  connectDelayMs: number;
  /** The abandonment rule's clock: no agent within this long of the answer = abandoned. */
  abandonAfterMs: number;
  seed: number;
  mode: ShiftDialMode;
}

export const DEFAULT_SHIFT: Omit<ShiftConfig, 'mode' | 'seed'> = {
  agents: 10,
  humanAnswerRate: 0.2,
  machineAnswerRate: 0.15,
  shiftMs: 8 * 3_600_000,
  answerDelayMeanMs: 12_000,
  ringTimeoutMs: 25_000,
  talkMeanMs: 150_000,
  wrapMeanMs: 20_000,
  connectDelayMs: 400,
  abandonAfterMs: 2_000,
};

export interface ShiftReport {
  mode: ShiftDialMode['mode'];
  agents: number;
  humanAnswerRatePct: number;
  dials: number;
  dialsPerHour: number;
  humanAnswered: number;
  connected: number;
  abandoned: number;
  abandonRatePct: number;
  /** Highest abandonment rate of the period seen after any answer during the shift. */
  maxAbandonRatePct: number;
  /** Share of logged-in time agents spent on calls and wrap-up. */
  occupancyPct: number;
  talkMinutesPerAgentHour: number;
  /** Answer to agent connected, for connected calls. */
  answerWaitP50Ms: number;
  answerWaitP95Ms: number;
  /** Share of predictive decisions that fell back to progressive, and why (counts by reason code). */
  fallbackPct: number;
  fallbackReasons: Record<string, number>;
}

type SimEvent =
  | { at: number; kind: 'line-end'; line: number; human: boolean; dialedAt: number }
  | { at: number; kind: 'talk-end' }
  | { at: number; kind: 'agent-free'; agent: number; handleMs: number; wrapMs: number }
  | { at: number; kind: 'abandon-check'; call: number };

/** A sample with the given mean: log-normal (positive, right-skewed, like call durations). */
function logNormal(random: () => number, mean: number, sigma = 0.6): number {
  const u1 = Math.max(random(), 1e-12);
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * random());
  return Math.exp(Math.log(mean) - (sigma * sigma) / 2 + sigma * z);
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

export function simulateShift(config: ShiftConfig): ShiftReport {
  const random = seededRandom(config.seed);
  const events = new TinyQueue<SimEvent>([], (a, b) => a.at - b.at);
  const idleAgents: number[] = Array.from({ length: config.agents }, (_, i) => i);
  let talkingAgents = 0;
  let wrappingAgents = 0;
  /** Answered calls waiting for an agent: call id -> answer time (insertion order = FIFO). */
  const waiting = new Map<number, number>();
  let dialing = 0;
  let nextId = 0;
  let estimates: CallEstimates = NO_ESTIMATES;
  let tally: AbandonmentTally = EMPTY_TALLY;
  let aggressiveness =
    config.mode.mode === 'predictive'
      ? (config.mode.tuning?.initialAggressiveness ?? DEFAULT_PREDICTIVE_TUNING.initialAggressiveness)
      : 1;
  const rule: AbandonmentRule =
    config.mode.mode === 'predictive' ? (config.mode.rule ?? 'ftc-30d') : 'ftc-30d';
  let periodFrom = 0;
  const stats = {
    dials: 0,
    humans: 0,
    connected: 0,
    abandoned: 0,
    handleMs: 0,
    talkMs: 0,
    decisions: 0,
    fallbacks: 0,
  };
  let maxRate = 0;
  const waits: number[] = [];
  const fallbackReasons: Record<string, number> = {};

  const connect = (agent: number, answeredAt: number, now: number) => {
    talkingAgents += 1;
    const connectedAt = now + config.connectDelayMs;
    waits.push(connectedAt - answeredAt);
    stats.connected += 1;
    const talk = logNormal(random, config.talkMeanMs);
    const wrap = logNormal(random, config.wrapMeanMs, 0.4);
    const end = connectedAt + talk + wrap;
    // only the part of the work inside the shift counts toward occupancy
    stats.talkMs += Math.max(
      0,
      Math.min(connectedAt + talk, config.shiftMs) - Math.min(connectedAt, config.shiftMs),
    );
    stats.handleMs += Math.max(0, Math.min(end, config.shiftMs) - Math.min(now, config.shiftMs));
    events.push({ at: connectedAt + talk, kind: 'talk-end' });
    events.push({ at: end, kind: 'agent-free', agent, handleMs: end - now, wrapMs: wrap });
  };

  const countAnswer = (abandoned: boolean, now: number) => {
    const from = periodStart(rule, 0, now);
    if (from !== periodFrom) {
      periodFrom = from;
      tally = EMPTY_TALLY;
    }
    if (config.mode.mode === 'predictive') {
      aggressiveness = nextAggressiveness(
        aggressiveness,
        abandoned,
        config.mode.limitPct,
        tally,
        config.mode.tuning,
      );
    }
    tally = addAnswer(tally, abandoned);
    maxRate = Math.max(maxRate, abandonmentRate(tally));
  };

  const maxLive = (now: number): number => {
    const idle = idleAgents.length;
    switch (config.mode.mode) {
      case 'progressive':
        return idle;
      case 'power':
        return idle * config.mode.linesPerAgent;
      case 'predictive': {
        if (periodStart(rule, 0, now) !== periodFrom) {
          periodFrom = periodStart(rule, 0, now);
          tally = EMPTY_TALLY;
        }
        const decision = predictiveCapacity({
          limitPct: config.mode.limitPct,
          tally,
          agentsLoggedIn: config.agents,
          agentsIdle: idle,
          agentsTalking: talkingAgents,
          agentsWrapping: wrappingAgents,
          estimates,
          aggressiveness,
          tuning: config.mode.tuning,
        });
        stats.decisions += 1;
        if (decision.mode === 'progressive') {
          stats.fallbacks += 1;
          fallbackReasons[decision.fallback] = (fallbackReasons[decision.fallback] ?? 0) + 1;
        }
        return decision.maxLive;
      }
    }
  };

  const topUp = (now: number) => {
    if (now >= config.shiftMs) return;
    const inFlight = dialing + waiting.size;
    for (let n = maxLive(now) - inFlight; n > 0; n--) {
      dialing += 1;
      stats.dials += 1;
      const line = nextId++;
      const r = random();
      if (r < config.humanAnswerRate) {
        events.push({
          at: now + logNormal(random, config.answerDelayMeanMs, 0.4),
          kind: 'line-end',
          line,
          human: true,
          dialedAt: now,
        });
      } else {
        const answeredByMachine = r < config.humanAnswerRate + config.machineAnswerRate;
        const at = answeredByMachine
          ? now + logNormal(random, config.answerDelayMeanMs, 0.4) + 3_000
          : now + config.ringTimeoutMs;
        events.push({ at, kind: 'line-end', line, human: false, dialedAt: now });
      }
    }
  };

  topUp(0);
  for (let event = events.pop(); event; event = events.pop()) {
    const now = event.at;
    if (event.kind === 'line-end') {
      dialing -= 1;
      estimates = recordDial(estimates, event.human, now - event.dialedAt);
      if (event.human) {
        stats.humans += 1;
        const agent = idleAgents.pop();
        if (agent !== undefined) {
          countAnswer(false, now);
          connect(agent, now, now);
        } else {
          waiting.set(event.line, now);
          events.push({
            at: now + config.abandonAfterMs - config.connectDelayMs,
            kind: 'abandon-check',
            call: event.line,
          });
        }
      }
    } else if (event.kind === 'talk-end') {
      talkingAgents -= 1;
      wrappingAgents += 1;
    } else if (event.kind === 'agent-free') {
      wrappingAgents -= 1;
      estimates = recordHandled(estimates, event.handleMs, event.wrapMs);
      const oldest = waiting.entries().next();
      if (!oldest.done && now < config.shiftMs + config.abandonAfterMs) {
        const [call, answeredAt] = oldest.value;
        waiting.delete(call);
        countAnswer(false, now);
        connect(event.agent, answeredAt, now);
      } else {
        idleAgents.push(event.agent);
      }
    } else if (waiting.delete(event.call)) {
      // nobody was free within the 2 s: the safe-harbor message plays and the call counts as abandoned
      stats.abandoned += 1;
      countAnswer(true, now);
    }
    topUp(now);
  }

  const hours = config.shiftMs / 3_600_000;
  waits.sort((a, b) => a - b);
  const answered = stats.connected + stats.abandoned;
  return {
    mode: config.mode.mode,
    agents: config.agents,
    humanAnswerRatePct: round(config.humanAnswerRate * 100, 1),
    dials: stats.dials,
    dialsPerHour: round(stats.dials / hours, 1),
    humanAnswered: answered,
    connected: stats.connected,
    abandoned: stats.abandoned,
    abandonRatePct: round(answered > 0 ? (stats.abandoned / answered) * 100 : 0),
    maxAbandonRatePct: round(maxRate * 100),
    occupancyPct: round((stats.handleMs / (config.agents * config.shiftMs)) * 100, 1),
    talkMinutesPerAgentHour: round(stats.talkMs / 60_000 / (config.agents * hours), 1),
    answerWaitP50Ms: Math.round(percentile(waits, 0.5)),
    answerWaitP95Ms: Math.round(percentile(waits, 0.95)),
    fallbackPct: round(stats.decisions > 0 ? (stats.fallbacks / stats.decisions) * 100 : 0, 1),
    fallbackReasons,
  };
}
