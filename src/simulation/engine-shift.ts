/**
 * A seeded agents' shift through the real engine (not the model in shift.ts): memory store, simulated carrier
 * and simulated clock, N simulated agents who take the calls the engine bridges to them and send their wrap-up
 * after a seeded time. Reports the abandonment of each period as the store counted it, occupancy, dials and
 * the predictive controller's fallbacks. Used by `npm run demo -- --mode predictive` and the property test.
 */
import type { AbandonmentRule } from '../domain/abandonment.js';
import { seededRandom } from '../domain/random.js';
import { CampaignService } from '../engine/campaigns.js';
import { Engine } from '../engine/dialer.js';
import type { StoredEvent } from '../engine/events.js';
import { MemoryStore } from '../engine/store/memory-store.js';
import { simulationClock } from '../shared/clock.js';
import type { Clock } from '../shared/clock.js';
import { SimulatedCarrier } from '../telephony/simulator/simulated-carrier.js';
import type { OutcomeMix, SecondsDistribution } from '../telephony/simulator/simulated-carrier.js';

export type EngineShiftMode =
  | { mode: 'predictive'; limitPct?: number; rule?: AbandonmentRule }
  | { mode: 'power'; linesPerAgent: number }
  | { mode: 'progressive' };

export interface EngineShiftConfig {
  seed: number;
  agents: number;
  /** Simulated shift length. */
  hours: number;
  /** Share of dials a person answers (the rest: no answer, busy, machines, failures). */
  answerRate: number;
  leads: number;
  mode: EngineShiftMode;
  talkSec?: SecondsDistribution;
  wrapSec?: { minSec: number; maxSec: number };
  /** Simulated seconds per real second, at most (the clock also waits for the process). */
  speed?: number;
  /** Called every simulated minute (progress). */
  onMinute?: (minute: number) => void;
}

export interface EngineShiftReport {
  dials: number;
  /** Calls answered by a person (connected or abandoned) and abandoned ones, as the store's period tally counts. */
  periods: { periodStart: number; answered: number; abandoned: number; ratePct: number }[];
  /** ABANDONED outcomes among finished attempts (the same calls, from the event log). */
  abandonedOutcomes: number;
  connectedCalls: number;
  /** Talk minutes per agent-hour, and as a share of the shift. */
  talkMinutesPerAgentHour: number;
  occupancyPct: number;
  dialsPerHour: number;
  /** Minutes of the shift spent in each pacing state (predictive, or a fallback reason). */
  pacingMinutes: Record<string, number>;
}

const START = Date.UTC(2030, 0, 7, 14, 0, 0); // Monday 09:00 in New York
const P = 'sim';

function mixFor(answerRate: number): Partial<OutcomeMix> {
  const rest = 1 - answerRate;
  return {
    human: answerRate,
    'no-answer': rest * 0.55,
    busy: rest * 0.1,
    machine: rest * 0.25,
    invalid: 0,
    failed: rest * 0.1,
  };
}

/** Agents who log in, take what the engine bridges to them, and send each wrap-up after a seeded time. */
async function runAgents(
  engine: Engine,
  clock: Clock,
  config: EngineShiftConfig,
  campaignId: string,
  until: number,
  stats: { talkMs: number; connected: number },
) {
  const wrap = config.wrapSec ?? { minSec: 10, maxSec: 40 };
  const wrapMsOf = (attemptId: string) => {
    let h = config.seed >>> 0;
    for (let i = 0; i < attemptId.length; i++) h = Math.imul(h ^ attemptId.charCodeAt(i), 0x01000193) >>> 0;
    const r = seededRandom(h)();
    return Math.round((wrap.minSec + (wrap.maxSec - wrap.minSec) * r) * 1000);
  };
  for (let i = 1; i <= config.agents; i++) {
    await engine.setAgentPresence(P, `agent-${i}`, {
      state: 'available',
      campaigns: [{ campaignId, priority: 1 }],
    });
  }
  const counted = new Set<string>();
  while (clock.now() < until) {
    await clock.sleep(500);
    for (const agent of await engine.listAgents(P)) {
      const call = agent.call;
      if (agent.state !== 'wrap-up' || !call || call.endedAt === undefined) continue;
      if (!counted.has(call.attemptId)) {
        counted.add(call.attemptId);
        stats.talkMs += call.endedAt - call.connectedAt;
        stats.connected++;
      }
      if (clock.now() >= call.endedAt + wrapMsOf(call.attemptId)) {
        await engine.wrapUp(P, call.attemptId, { disposition: 'CONNECTED' }).catch(() => {});
      }
    }
  }
}

export async function runEngineShift(config: EngineShiftConfig): Promise<EngineShiftReport> {
  const speed = config.speed ?? 50_000;
  const clock = simulationClock(START, speed);
  const store = new MemoryStore(clock);
  const zones = { candidateZones: async () => ['America/New_York'] };
  const campaigns = new CampaignService({ store, clock, zones, random: seededRandom(config.seed) });
  let engine: Engine | null = null;
  const carrier = new SimulatedCarrier({
    sink: { handleCallEvent: (e) => engine!.handleCallEvent(e) },
    clock,
    seed: config.seed,
    mix: mixFor(config.answerRate),
    talkTimeSec: config.talkSec ?? { minSec: 60, maxSec: 240 },
    ringTimeSec: { minSec: 3, maxSec: 20, shape: 'short-skewed' },
  });
  const errors: unknown[] = [];
  engine = new Engine({
    store,
    telephony: carrier,
    clock,
    campaigns,
    zones,
    random: seededRandom(config.seed + 1),
    limits: () => ({
      account: { callsPerSecond: 50, maxConcurrentCalls: 1000 },
      callerId: { callsPerSecond: 50, maxConcurrentCalls: 1000 },
    }),
    timings: {
      claimLeaseMs: Math.max(15_000, speed * 100),
      callbackSilenceMs: Math.max(120_000, speed * 100),
    },
    onError: (e) => void errors.push(e),
  });
  const m = config.mode;
  const dialMode =
    m.mode === 'predictive'
      ? { mode: 'predictive', maxAbandonRatePct: m.limitPct ?? 3, abandonmentRule: m.rule ?? 'ftc-30d' }
      : m.mode === 'power'
        ? { mode: 'power', linesPerAgent: m.linesPerAgent }
        : { mode: 'progressive' };
  const campaign = await campaigns.create(P, {
    name: 'Shift',
    callerIds: ['+12125550100'],
    connectTo: { type: 'agents' },
    dialMode,
    pace: { callsPerSecond: 20, maxConcurrentCalls: 500 },
    amd: { detection: 'detect', onMachine: 'hangup' },
    ringTimeoutSec: 25,
    wrapUpLimitSec: 120,
    retry: {
      strategy: 'intervals',
      delaysMinutes: [240],
      maxAttempts: 2,
      maxRetryDays: 7,
      minGapMinutes: 240,
    },
    windows: Object.fromEntries(
      ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [
        d,
        { enabled: true, start: '09:00', end: '20:00' },
      ]),
    ),
  });
  const rows = Array.from({ length: config.leads }, (_, i) => ({
    contactId: `c${i}`,
    phone: `+1212${String(2_000_000 + i).padStart(7, '0')}`,
    timeZone: 'America/New_York',
  }));
  for (let i = 0; i < rows.length; i += 1000)
    await campaigns.enroll(P, campaign.campaignId, rows.slice(i, i + 1000));
  await campaigns.act(P, campaign.campaignId, 'start');

  const until = START + config.hours * 3_600_000;
  const stats = { talkMs: 0, connected: 0 };
  const pacingMinutes: Record<string, number> = {};
  engine.start([P]);
  const agents = runAgents(engine, clock, config, campaign.campaignId, until, stats);
  const sampler = (async () => {
    for (let minute = 0; clock.now() < until; minute++) {
      await clock.sleep(60_000);
      const pacing = engine!.campaignPacing(P, campaign.campaignId);
      const p = pacing?.predictive;
      const key = p ? (p.mode === 'predictive' ? 'predictive' : p.fallback) : config.mode.mode;
      pacingMinutes[key] = (pacingMinutes[key] ?? 0) + 1;
      config.onMinute?.(minute);
    }
  })();
  await Promise.all([agents, sampler]);
  // the shift is over: no new dials; calls under way finish and their agents wrap up
  await campaigns.act(P, campaign.campaignId, 'pause');
  await carrier.whenIdle();
  await engine.stop();
  clock.stop();

  const events: StoredEvent[] = [];
  for (let after = '0'; ;) {
    const batch = await store.tail(P, after, { count: 5000, blockMs: 0 });
    if (!batch.length) break;
    events.push(...batch);
    after = batch[batch.length - 1]!.id;
  }
  const finished = events.filter((e) => e.type === 'attempt.finished');
  const abandonedOutcomes = finished.filter((e) => 'category' in e && e.category === 'ABANDONED').length;
  const record = (await store.getCampaign(P, campaign.campaignId))!;
  const pacing = engine.campaignPacing(P, campaign.campaignId);
  const periodStart = pacing?.tally?.periodStart ?? record.createdAt;
  const tally = await store.abandonmentTally(P, campaign.campaignId, periodStart);
  await store.close();
  if (errors.length) throw new AggregateError(errors, `engine shift: ${errors.length} background error(s)`);
  const agentHours = config.agents * config.hours;
  const talkMinutes = stats.talkMs / 60_000;
  return {
    dials: carrier.stats().dials,
    periods: [
      {
        periodStart,
        ...tally,
        ratePct: tally.answered > 0 ? (100 * tally.abandoned) / tally.answered : 0,
      },
    ],
    abandonedOutcomes,
    connectedCalls: stats.connected,
    talkMinutesPerAgentHour: agentHours > 0 ? talkMinutes / agentHours : 0,
    occupancyPct: agentHours > 0 ? (100 * talkMinutes) / (agentHours * 60) : 0,
    dialsPerHour: carrier.stats().dials / config.hours,
    pacingMinutes,
  };
}
