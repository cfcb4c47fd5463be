/**
 * `npm run demo`: a multi-day power-dialing campaign end to end on embedded defaults (in-process store, or Redis
 * when REDIS_URL is set; the simulated carrier; the local sample CRM), on a simulation clock, through the same
 * composition root as `npm start`. It ends with a report whose compliance lines are checked: exit 0 only when
 * no DNC number was dialed, nobody was called out of hours, and every finished attempt has one CRM record.
 */
import { formatPredictiveReport, runPredictiveDemo } from './demo-predictive.js';
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { composeBackend } from '../app/compose.js';
import type { Backend } from '../app/compose.js';
import { ConfigError, loadEnv } from '../config/env.js';
import { simulationClock } from '../shared/clock.js';
import type { SimulationClock } from '../shared/clock.js';
import type { StoredEvent } from '../engine/events.js';
import { FINAL_LEAD_STATES } from '../engine/events.js';
import { connectRedis } from '../engine/store/redis/connection.js';
import { RedisStore } from '../engine/store/redis-store.js';
import { LocalSampleCrm } from '../crm/local-sample-crm.js';
import { createLogger } from '../observability/logger.js';
import { createProgress } from '../observability/progress.js';
import { createNumberZoneLookup } from '../telephony/number-zones.js';
import { SIMULATED_OUTCOMES } from '../telephony/simulator/simulated-carrier.js';
import type { OutcomeMix } from '../telephony/simulator/simulated-carrier.js';
import { generateSampleContacts } from './sample-data.js';
import { MAX_RETRY_DAYS, buildReport, formatReport, zoneTable } from './demo-report.js';
import type { DemoReport } from './demo-report.js';

const DAY_MS = 86_400_000;
/** Monday 2030-01-07, 06:00 in New York: before any calling window opens in North America. */
export const DEMO_START = DateTime.fromISO('2030-01-07T06:00:00', { zone: 'America/New_York' }).toMillis();
const LIST_ID = 'demo-list';
/**
 * What the demo's calls do unless --mix says otherwise: about one dial in seven reaches a person, as on a real
 * list; with up to eight attempts over four days most contacts are reached, not all.
 */
export const DEMO_MIX: OutcomeMix = {
  human: 0.15,
  busy: 0.08,
  'no-answer': 0.42,
  machine: 0.25,
  invalid: 0.05,
  failed: 0.05,
};

/** `answer` is accepted for the simulator's `human` (a person picks up). */
const MIX_ALIASES: Record<string, string> = {
  answer: 'human',
  noanswer: 'no-answer',
  no_answer: 'no-answer',
};

const MixSchema = z.string().transform((text, ctx): Partial<OutcomeMix> => {
  const mix: Partial<OutcomeMix> = {};
  for (const part of text.split(',').filter((p) => p.trim() !== '')) {
    const [rawKey, rawValue, extra] = part.split('=').map((s) => s.trim());
    const key = MIX_ALIASES[rawKey ?? ''] ?? rawKey ?? '';
    const value = Number(rawValue);
    if (!(SIMULATED_OUTCOMES as readonly string[]).includes(key)) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown outcome "${rawKey}" (expected ${['answer', ...SIMULATED_OUTCOMES].join(', ')})`,
      });
      return z.NEVER;
    }
    if (
      extra !== undefined ||
      rawValue === undefined ||
      rawValue === '' ||
      !(value >= 0) ||
      !Number.isFinite(value)
    ) {
      ctx.addIssue({
        code: 'custom',
        message: `"${part}" must be outcome=weight with a weight of 0 or more`,
      });
      return z.NEVER;
    }
    mix[key as keyof OutcomeMix] = value;
  }
  return mix;
});

export const DemoOptionsSchema = z.object({
  contacts: z.coerce.number().int().min(1).max(100_000).default(2000),
  /** Most simulated seconds per real second (a busy process runs slower): 7200 is two hours a second. */
  speed: z.coerce.number().positive().max(1_000_000).default(7200),
  mix: MixSchema.optional(),
  port: z.coerce.number().int().min(0).max(65535).default(3000),
  seed: z.coerce
    .number()
    .int()
    .min(0)
    .max(2 ** 31)
    .default(20300107),
  /** Simulated days before the run stops even if some leads still wait for a retry. */
  days: z.coerce.number().int().min(1).max(60).default(6),
  agents: z.coerce.number().int().min(1).max(500).default(10),
  /** power: the CRM-to-CRM demo below; predictive: an agents' shift through the engine (demo-predictive.ts). */
  mode: z.enum(['power', 'predictive']).default('power'),
  /** Predictive mode: simulated shift hours, share of dials a person answers, abandonment limit (percent). */
  hours: z.coerce.number().positive().max(24).default(2),
  answerRate: z.coerce.number().min(0.01).max(1).default(0.2),
  limit: z.coerce.number().min(0).max(3).default(3),
});
export type DemoOptions = z.output<typeof DemoOptionsSchema>;

export class DemoUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoUsageError';
  }
}

const USAGE = `usage: npm run demo -- [--contacts 2000] [--speed 7200] [--days 6] [--agents 10]
                     [--mix answer=0.15,busy=0.08,no-answer=0.42,machine=0.25,invalid=0.05,failed=0.05]
                     [--port 3000 (0 = any free port)] [--seed 20300107]
       npm run demo -- --mode predictive [--agents 10] [--hours 2] [--answer-rate 0.2] [--limit 3] [--seed N]`;

/** Parses the command line; a bad or unknown flag throws a DemoUsageError naming it. */
export function parseDemoArgs(argv: readonly string[]): DemoOptions {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        contacts: { type: 'string' },
        speed: { type: 'string' },
        mix: { type: 'string' },
        port: { type: 'string' },
        seed: { type: 'string' },
        days: { type: 'string' },
        agents: { type: 'string' },
        mode: { type: 'string' },
        hours: { type: 'string' },
        'answer-rate': { type: 'string' },
        limit: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new DemoUsageError(`${(error as Error).message}\n${USAGE}`);
  }
  const { 'answer-rate': answerRate, ...rest } = values;
  const parsed = DemoOptionsSchema.safeParse({
    ...rest,
    ...(answerRate !== undefined ? { answerRate } : {}),
  });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  --${i.path.join('.')}: ${i.message}`);
    throw new DemoUsageError(`invalid demo flags:\n${lines.join('\n')}\n${USAGE}`);
  }
  return parsed.data;
}

export interface DemoIo {
  out: NodeJS.WritableStream & { isTTY?: boolean };
  /** Force the progress bar on/off (default: on a TTY). */
  tty?: boolean;
  /** Environment (REDIS_URL etc.); process.env by default. */
  env?: Record<string, string | undefined>;
  /** Skip the HTTP server (tests). */
  serve?: boolean;
  /** Real time between progress updates. */
  pollMs?: number;
}

function campaignSettings(agents: number) {
  const weekday = { enabled: true, start: '08:00', end: '20:30' };
  return {
    name: 'Demo: spring renewals',
    description: 'Power dialing with Smart Calling retries, on the simulated carrier',
    callerIds: ['+12125550100', '+13055550100', '+14165550100'],
    callerIdStrategy: 'local-presence',
    connectTo: { type: 'number', number: '+12125550199' },
    dialMode: { mode: 'power', linesPerAgent: 2 },
    pace: { callsPerSecond: 20, maxConcurrentCalls: agents * 2 },
    amd: { detection: 'detect', onMachine: 'hangup' },
    // Wider than the legal hours on purpose: the legal-hours floor must clip them (Canada 09:00, FL/OK 20:00).
    windows: {
      monday: weekday,
      tuesday: weekday,
      wednesday: weekday,
      thursday: weekday,
      friday: weekday,
      saturday: { enabled: true, start: '10:00', end: '14:00' },
      sunday: { enabled: false, start: '10:00', end: '14:00' },
    },
    retry: {
      strategy: 'smart',
      intensity: 'moderate',
      maxAttempts: 8,
      maxRetryDays: MAX_RETRY_DAYS,
      minGapMinutes: 30,
    },
    ringTimeoutSec: 25,
  };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads the whole event stream of the portal (the report's source of truth, same as the monitor's). */
async function readAllEvents(backend: Backend): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  let after = '0';
  for (;;) {
    const batch = await backend.store.tail(backend.portalId, after, { count: 5000, blockMs: 0 });
    if (batch.length === 0) return events;
    events.push(...batch);
    after = batch[batch.length - 1]!.id;
  }
}

export async function runDemo(options: DemoOptions, io: DemoIo): Promise<DemoReport> {
  const startedReal = Date.now();
  const print = (line = '') => io.out.write(`${line}\n`);
  const sourceEnv = io.env ?? process.env;
  const runId = randomBytes(3).toString('hex');
  const env = loadEnv({
    ...sourceEnv,
    PORT: String(options.port),
    LOG_LEVEL: 'warn',
    TELEPHONY: 'simulator',
    CRM: 'local',
    METRICS_ENABLED: 'true',
    // Each run in its own keys, deleted at the end: the demo never touches anything else in a shared Redis.
    REDIS_KEY_PREFIX: `${sourceEnv.REDIS_KEY_PREFIX ?? 'ad'}-demo-${runId}`,
  });
  // Virtual time for every part (engine, carrier, writeback, monitor): timers fire in simulated order and time
  // waits for the process, so a slow machine runs the same simulation slower, never a different one.
  const clock: SimulationClock = simulationClock(DEMO_START, options.speed);
  const crm = new LocalSampleCrm({ pageSize: 100 });
  const sample = generateSampleContacts({ count: options.contacts, seed: options.seed });
  crm.addContacts(LIST_ID, sample);
  const zones = createNumberZoneLookup();
  const backend = await composeBackend(env, {
    clock,
    crm,
    zones,
    logger: createLogger({ level: 'warn', destination: process.stderr as never }),
    simulator: { seed: options.seed, mix: { ...DEMO_MIX, ...options.mix } },
    // A callback that needs real I/O (Redis) takes real time, during which simulated time still moves (at most
    // speed x real): leases keep a margin of 100 ms of real time on top of their usual length.
    engine: {
      timings: {
        claimLeaseMs: Math.max(15_000, options.speed * 100),
        callbackSilenceMs: Math.max(120_000, options.speed * 100),
      },
    },
    // The writeback runs on simulated time too: its reclaim checks count simulated minutes.
    writeback: { blockMs: 200, claimIdleMs: 10 * 60_000, claimEveryMs: 60_000 },
    drainTimeoutMs: 30_000,
  });
  const { portalId, campaigns, engine } = backend;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await backend.close();
  };

  try {
    print(
      `Autodial demo: ${options.contacts} sample contacts, ${options.agents} agents, clock x${options.speed}, ` +
        `store: ${env.REDIS_URL ? `redis (${env.REDIS_KEY_PREFIX})` : 'in-process'}, carrier: simulated`,
    );
    print(
      `Simulated start: ${DateTime.fromMillis(DEMO_START, { zone: 'America/New_York' }).toFormat('cccc yyyy-LL-dd HH:mm ZZZZ')}`,
    );
    const campaign = await campaigns.create(portalId, campaignSettings(options.agents), 'demo');

    // Enrollment straight from the CRM list, page by page, as it will run against HubSpot.
    const enrollBar = createProgress({
      label: 'Enrolling',
      total: options.contacts,
      stream: io.out,
      tty: io.tty,
    });
    let cursor: string | undefined;
    do {
      const page = await crm.listContacts(LIST_ID, cursor);
      // A contact's DNC flag covers every number on the record, each read in the contact's own country.
      const dncByCountry = new Map<string, string[]>();
      for (const c of page.contacts) {
        if (!c.doNotCall) continue;
        const numbers = dncByCountry.get(c.country ?? '') ?? [];
        numbers.push(...[c.phone, c.mobilePhone].filter((n): n is string => !!n));
        dncByCountry.set(c.country ?? '', numbers);
      }
      for (const [country, numbers] of dncByCountry) {
        await campaigns.addDoNotCall(portalId, numbers, country ? { country } : {});
      }
      await campaigns.enroll(
        portalId,
        campaign.campaignId,
        page.contacts.map((c) => ({
          contactId: c.id,
          phone: c.phone ?? c.mobilePhone ?? '',
          ...(c.timeZone ? { timeZone: c.timeZone } : {}),
          ...(c.country ? { country: c.country } : {}),
          doNotCall: c.doNotCall ?? false,
        })),
      );
      enrollBar.increment(page.contacts.length);
      cursor = page.next;
    } while (cursor);
    enrollBar.stop();
    const counts = await campaigns.counts(portalId, campaign.campaignId);
    const { enrolled, ...skippedCounts } = counts;
    const skipped = Object.fromEntries(Object.entries(skippedCounts).filter(([, n]) => n > 0));
    print(`Enrolled ${enrolled}; skipped ${JSON.stringify(skipped)}`);

    for (let i = 1; i <= options.agents; i++) {
      await engine.setAgentAvailable(portalId, campaign.campaignId, `agent-${i}`, true);
    }
    await backend.start();
    if (io.serve ?? true) {
      const port = await backend.listen(options.port, '127.0.0.1');
      print(
        `Live monitor: http://localhost:${port}/monitor` +
          (env.METRICS_TOKEN
            ? `   (metrics: http://localhost:${port}/metrics with the METRICS_TOKEN bearer)`
            : ''),
      );
    }
    await campaigns.act(portalId, campaign.campaignId, 'start');

    const horizon = DEMO_START + options.days * DAY_MS;
    const dialBar = createProgress({ label: 'Leads finished', total: enrolled, stream: io.out, tty: io.tty });
    let finalShown = 0;
    let horizonReached = false;
    for (;;) {
      await wait(io.pollMs ?? 250);
      const states = await backend.store.leadStates(portalId, campaign.campaignId);
      const final = FINAL_LEAD_STATES.reduce((n, s) => n + states[s], 0);
      if (final > finalShown) dialBar.increment(final - finalShown);
      finalShown = Math.max(finalShown, final);
      if (final >= enrolled) break;
      if (clock.now() >= horizon) {
        horizonReached = true;
        break;
      }
    }
    dialBar.stop();
    await engine.stop();
    // Calls placed before the stop still end and report; then the writeback catches up with every one.
    await backend.simulator?.whenIdle();
    const events = await readAllEvents(backend);
    const states = await backend.store.leadStates(portalId, campaign.campaignId);
    // A dial that never reached the carrier finishes with placed: false and is no call: no CRM record.
    const callIds = new Set(
      events.flatMap((e) => (e.type === 'attempt.finished' && e.placed !== false ? [e.attemptId] : [])),
    );
    // Bounded real-time wait for the writeback to catch up; a shortfall is reported as a failed check.
    for (let i = 0; i < 600 && crm.counts().calls < callIds.size; i++) await wait(50);
    await close();

    const report = buildReport({
      options,
      events,
      sample,
      states,
      enrolled,
      skipped,
      crm,
      horizonReached,
      simulatedDays: (Math.min(clock.now(), horizon) - DEMO_START) / DAY_MS,
      realSeconds: (Date.now() - startedReal) / 1000,
      zoneOf: await zoneTable(sample, zones),
    });
    return report;
  } finally {
    if (env.REDIS_URL && backend.store instanceof RedisStore) {
      // Keys of this run only; the store's own connection is closed by then, so use a fresh one.
      await close();
      const redis = await connectRedis({ url: env.REDIS_URL }, (message, error) =>
        console.error(`${message}: ${error.message}`),
      ).catch(() => null);
      if (redis) {
        const cleaner = new RedisStore({ redis, keyPrefix: env.REDIS_KEY_PREFIX });
        await cleaner.deletePortal(portalId).catch(() => {});
        await cleaner.close();
        await redis.close().catch(() => redis.destroy());
      }
    } else {
      await close();
    }
    clock.stop();
  }
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  let options: DemoOptions;
  try {
    options = parseDemoArgs(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  if (options.mode === 'predictive') {
    const report = await runPredictiveDemo(
      {
        seed: options.seed,
        agents: options.agents,
        hours: options.hours,
        answerRate: options.answerRate,
        limitPct: options.limit,
        speed: Math.max(options.speed, 50_000),
      },
      process.stdout,
    );
    process.stdout.write(`${formatPredictiveReport(report)}\n`);
    return report.failures.length === 0 ? 0 : 1;
  }
  try {
    const report = await runDemo(options, { out: process.stdout });
    process.stdout.write(`${formatReport(report)}\n`);
    return report.failures.length === 0 ? 0 : 1;
  } catch (error) {
    const message =
      error instanceof ConfigError
        ? error.message
        : error instanceof Error
          ? (error.stack ?? error.message)
          : String(error);
    process.stderr.write(`demo failed: ${message}\n`);
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`demo failed: ${String(error)}\n`);
      process.exit(1);
    },
  );
}
