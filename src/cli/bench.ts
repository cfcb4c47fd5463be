/**
 * `npm run bench`: measures the engine on the real Redis (REDIS_URL, default 127.0.0.1:6379) and writes
 * bench-results.json. Every figure is measured in this run; nothing is assumed.
 *  - pacer: 50 calls/s over 60 s, 4 worker processes, a fake carrier answering after 100-600 ms
 *  - dispatch latency: leads falling due at 100/s, due time -> dial request at the carrier; once with a pace cap
 *    that does not bind (200 calls/s: the engine's own latency), once paced at exactly the arrival rate
 *  - max dial decisions/s: unthrottled pace, carrier answers at once, 2 worker processes (2 cores)
 *  - Redis bytes per contact: 100,000 contacts enrolled (MEMORY USAGE over the campaign's keys)
 *  - predictive dialing: simulated 8-hour agent shifts (src/simulation/shift.ts), see bench-predictive.ts
 *  - HubSpot: list enrollment and writeback request counts, budget, writeback lag (src/crm/hubspot/bench.ts)
 *  - the HTTP surface: fuzz, SSE fan-out, metric series (bench-surface.ts)
 *  - steady Redis bytes per contact: 20,000 leads after 3 to 8 attempts each (their attempt records expired)
 *  - cluster dials/s: the max-dials run on a local three-master Redis Cluster (redis-server + redis-cli)
 * BENCH_ONLY=pace,latency,max,memory,steady,cluster,predictive,surface,hubspot,api runs some sections only; BENCH_PROFILE=1 prints the Redis commands each
 * section ran (INFO commandstats, calls and microseconds per dial).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { CampaignSettingsSchema } from '../domain/settings.js';
import { CampaignService } from '../engine/campaigns.js';
import { measurePredictive } from './bench-predictive.js';
import { shiftedClock } from '../shared/clock.js';
import { Engine } from '../engine/dialer.js';
import { RedisStore, deleteMatching } from '../engine/store/redis-store.js';
import { connectRedis } from '../engine/store/redis/connection.js';
import { startLocalCluster } from './local-redis-cluster.js';
import type { RedisClient, RedisConnection } from '../engine/store/redis/connection.js';
import { hubspotBench } from '../crm/hubspot/bench.js';
import type { EnrollRow } from '../engine/store/store.js';
import { surfaceSection } from './bench-surface.js';
import { apiSection } from './bench-api.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PORTAL = '555';
/** Monday 14:00 in New York: inside the calling window whatever the real time is. */
const START_AT = Date.UTC(2030, 0, 7, 19, 0, 0);
const ANCHOR = Date.now();
const clock = shiftedClock(START_AT - ANCHOR);
const zones = { candidateZones: async () => ['America/New_York'] };

interface Dial {
  attemptId: string;
  contactId: string;
  at: number;
  grantedAt: number;
  dueAt: number;
}

async function deletePrefix(redis: RedisConnection, prefix: string) {
  await deleteMatching(redis, `${prefix}:*`);
}

/** A connected single-node client (the bench's own reads: INFO, lists, MEMORY USAGE). */
async function connect(url = REDIS_URL): Promise<RedisClient> {
  return (await connectRedis({ url }, (message, error) =>
    console.error(`${message}: ${error.message}`),
  )) as RedisClient;
}

function settings(cps: number, cap: number) {
  const s = CampaignSettingsSchema.parse({
    name: 'bench',
    callerIds: ['+12125550000'],
    dialMode: { mode: 'message' },
    message: { say: 'Bench' },
    amd: { detection: 'off', onMachine: 'hangup' },
    pace: { callsPerSecond: Math.min(cps, 100), maxConcurrentCalls: Math.min(cap, 1000) },
  });
  // the unthrottled run goes past the schema's limits on purpose: it measures the engine, not the pace
  return { ...s, pace: { callsPerSecond: cps, maxConcurrentCalls: cap } };
}

function rows(n: number, due: (i: number) => number): EnrollRow[] {
  return Array.from({ length: n }, (_, i) => ({
    contactId: String(100_000_000 + i * 7),
    e164: `+1212${String(2_000_000 + i).padStart(7, '0')}`,
    zone: 'America/New_York',
    dueAt: due(i),
  }));
}

interface RunOptions {
  name: string;
  cps: number;
  cap: number;
  contacts: number;
  workers: number;
  due: (i: number, now: number) => number;
  answerDelay: () => number;
  timeoutMs: number;
  /** The account's (and caller ID's) rate limit in the workers; the unthrottled run lifts it. */
  accountCps?: number;
  /** Seed nodes of a Redis Cluster to run on instead of REDIS_URL (store, workers and the fake carrier). */
  cluster?: string[];
}

async function run(o: RunOptions) {
  const prefix = `bench-${o.name}-${randomBytes(3).toString('hex')}`;
  const target = o.cluster ? { clusterNodes: o.cluster } : { url: REDIS_URL };
  const log = (message: string, error: Error) => console.error(`${message}: ${error.message}`);
  const redis = await connectRedis(target, log);
  const popper = await connectRedis(target, log);
  const store = new RedisStore({ redis, keyPrefix: prefix });
  const campaigns = new CampaignService({ store, clock, zones });
  const carrier = new Engine({
    store,
    telephony: { dial: async () => ({ providerCallId: '-' }), hangup: async () => {} },
    clock,
    campaigns,
    zones,
  });
  const children: ChildProcess[] = [];
  try {
    const now = clock.now();
    await store.createCampaign({
      portalId: PORTAL,
      campaignId: 'bench',
      settings: settings(o.cps, o.cap),
      status: 'active',
      version: 1,
      createdAt: now,
      updatedAt: now,
    });
    const campaignId = 'bench';
    for (let w = 0; w < o.workers; w++) {
      children.push(
        spawn('node_modules/.bin/node', ['--import', 'tsx', 'bench/worker.ts'], {
          env: {
            ...process.env,
            KEY_PREFIX: prefix,
            PORTAL_ID: PORTAL,
            START_AT: String(START_AT),
            ANCHOR: String(ANCHOR),
            REDIS_URL,
            ...(o.cluster ? { REDIS_CLUSTER_NODES: o.cluster.join(',') } : {}),
            ACCOUNT_CPS: String(o.accountCps ?? 1000),
          },
          stdio: ['ignore', 'ignore', 'inherit'],
        }),
      );
    }
    for (let w = 0; w < o.workers; w++) await popper.blPop(`${prefix}:ready`, 60);
    const enrollAt = clock.now();
    await store.enroll(
      PORTAL,
      campaignId,
      rows(o.contacts, (i) => o.due(i, enrollAt)),
      [],
      enrollAt,
    );
    const dials: Dial[] = [];
    const ended = new Map<string, number>();
    const answering: Promise<void>[] = [];
    const deadline = Date.now() + o.timeoutMs;
    const popMany = async (): Promise<string[]> => {
      const many = await popper.lPopCount(`${prefix}:dials`, 1000);
      if (many?.length) return many;
      const one = await popper.blPop(`${prefix}:dials`, 1);
      return one ? [one.element] : [];
    };
    while (dials.length < o.contacts && Date.now() < deadline) {
      for (const raw of await popMany()) {
        const dial = JSON.parse(raw) as Dial;
        dials.push(dial);
        const answer = async () => {
          ended.set(dial.attemptId, clock.now());
          await carrier.handleCallEvent({
            type: 'status',
            attemptId: dial.attemptId,
            providerCallId: `CA-${dial.attemptId}`,
            status: 'completed',
            sequence: 3,
            durationSec: 5,
            at: clock.now(),
          });
        };
        const delay = o.answerDelay();
        answering.push(delay > 0 ? new Promise((r) => setTimeout(r, delay)).then(answer) : answer());
      }
    }
    await Promise.all(answering);
    return { dials, ended };
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(
      children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))),
    );
    await deletePrefix(redis, prefix);
    await store.close();
    redis.destroy();
    popper.destroy();
  }
}

function windowViolations(times: number[], limit: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let violations = 0;
  let hi = 0;
  for (let lo = 0; lo < sorted.length; lo++) {
    while (hi < sorted.length && sorted[hi]! < sorted[lo]! + 1000) hi++;
    if (hi - lo > limit) violations++;
  }
  return violations;
}

function concurrencyViolations(
  intervals: [number, number][],
  cap: number,
): { max: number; violations: number } {
  const points = intervals.flatMap(([s, e]) => [
    [s, 1],
    [e, -1],
  ]) as [number, number][];
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let live = 0;
  let max = 0;
  let violations = 0;
  for (const [, d] of points) {
    live += d;
    if (d > 0 && live > cap) violations++;
    max = Math.max(max, live);
  }
  return { max, violations };
}

const percentile = (values: number[], p: number) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function bytesPerContact(n: number) {
  const prefix = `bench-mem-${randomBytes(3).toString('hex')}`;
  const redis = await connect();
  const store = new RedisStore({ redis, keyPrefix: prefix });
  try {
    const now = clock.now();
    await store.createCampaign({
      portalId: PORTAL,
      campaignId: 'mem',
      settings: settings(10, 10),
      status: 'draft',
      version: 1,
      createdAt: now,
      updatedAt: now,
    });
    const before = Number((/used_memory:(\d+)/.exec(await redis.info('memory')) ?? [])[1]);
    await store.enroll(
      PORTAL,
      'mem',
      rows(n, () => now),
      [],
      now,
    );
    const after = Number((/used_memory:(\d+)/.exec(await redis.info('memory')) ?? [])[1]);
    let usage = 0;
    let keys = 0;
    for await (const batch of redis.scanIterator({ MATCH: `${prefix}:*`, COUNT: 1000 })) {
      const sizes = await Promise.all(
        batch.filter((k) => !k.endsWith(':events')).map((k) => redis.memoryUsage(k, { SAMPLES: 0 })),
      );
      for (const v of sizes) {
        usage += Number(v);
        keys++;
      }
    }
    return { usage: usage / n, infoDelta: (after - before) / n, keys };
  } finally {
    await deletePrefix(redis, prefix);
    await store.close();
    redis.destroy();
  }
}

type CommandStats = Map<string, { calls: number; usec: number }>;

async function commandStats(): Promise<CommandStats> {
  const redis = await connect();
  try {
    const stats: CommandStats = new Map();
    for (const m of (await redis.info('commandstats')).matchAll(/cmdstat_(\S+?):calls=(\d+),usec=(\d+)/g))
      stats.set(m[1]!, { calls: Number(m[2]), usec: Number(m[3]) });
    return stats;
  } finally {
    redis.destroy();
  }
}

/** Redis work of one section per dial (the server is shared: only meaningful on an otherwise idle Redis). */
function printProfile(section: string, before: CommandStats, after: CommandStats, dials: number) {
  const rows = [...after]
    .map(([name, a]) => {
      const b = before.get(name) ?? { calls: 0, usec: 0 };
      return { name, callsPerDial: (a.calls - b.calls) / dials, usecPerDial: (a.usec - b.usec) / dials };
    })
    .filter((r) => r.callsPerDial >= 0.01)
    .sort((x, y) => y.usecPerDial - x.usecPerDial)
    .map((r) => ({
      command: r.name,
      calls_per_dial: Math.round(r.callsPerDial * 100) / 100,
      usec_per_dial: Math.round(r.usecPerDial * 10) / 10,
    }));
  console.log(`redis commands per dial (${section}):`);
  console.table(rows);
}

async function profiled<T extends { dials: unknown[] }>(section: string, fn: () => Promise<T>): Promise<T> {
  if (!process.env.BENCH_PROFILE) return fn();
  const before = await commandStats();
  const result = await fn();
  printProfile(section, before, await commandStats(), result.dials.length);
  return result;
}

const only = new Set(
  (process.env.BENCH_ONLY ?? 'pace,latency,max,memory,steady,cluster,predictive,surface,hubspot,api').split(
    ',',
  ),
);

/** The `chaos_*` figures `npm run chaos` last wrote: a bench run does not measure them, nor drop them. */
function chaosFigures(): Record<string, number> {
  if (!existsSync('bench-results.json')) return {};
  const previous = JSON.parse(readFileSync('bench-results.json', 'utf8')) as Record<string, number>;
  return Object.fromEntries(Object.entries(previous).filter(([k]) => k.startsWith('chaos_')));
}

async function main() {
  const results: Record<string, number> = {};
  const notes: string[] = [];
  const t0 = Date.now();
  if (only.has('pace')) await paceSection(results);
  if (only.has('latency')) await latencySection(results, notes);
  if (only.has('max')) await maxSection(results);
  if (only.has('memory')) {
    console.log('memory: 100,000 contacts enrolled ...');
    const mem = await bytesPerContact(100_000);
    results.redis_bytes_per_contact = mem.usage;
    results.redis_bytes_per_contact_info_delta = mem.infoDelta;
  }
  if (only.has('steady')) {
    console.log('memory: 20,000 contacts after 3 to 8 attempts each ...');
    results.redis_bytes_per_contact_steady = await bytesPerContactSteady(20_000);
  }
  if (only.has('cluster')) await clusterSection(results);
  if (only.has('predictive')) {
    console.log('predictive: simulated 8-hour shifts, progressive vs power vs predictive, 8 seeds each ...');
    const predictive = measurePredictive();
    console.log(predictive.table.join('\n'));
    Object.assign(results, predictive.figures);
  }
  if (only.has('surface')) await surfaceSection(results);
  // HubSpot adapter against a nock'd portal (see src/crm/hubspot/bench.ts: throttled part on virtual time).
  if (only.has('hubspot')) Object.assign(results, await hubspotBench(REDIS_URL));
  if (only.has('api')) await apiSection(results, clock, REDIS_URL);
  results.bench_seconds = (Date.now() - t0) / 1000;
  const rounded = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Math.round(v * 100) / 100]));
  console.table(rounded);
  for (const note of notes) console.log(note);
  // a partial run (BENCH_ONLY) does not overwrite the full results
  // (the chaos run's figures come from `npm run chaos`, which merges them in: they are kept as they are)
  if (!process.env.BENCH_ONLY)
    writeFileSync('bench-results.json', JSON.stringify({ ...rounded, ...chaosFigures() }, null, 2) + '\n');
  const targets = [
    ['pacer_cps_error_pct < 1', rounded.pacer_cps_error_pct, (v: number) => v < 1],
    ['pacer_cps_violations = 0', rounded.pacer_cps_violations, (v: number) => v === 0],
    ['cac_violations = 0', rounded.cac_violations, (v: number) => v === 0],
    ['dispatch_latency_p99_ms < 50', rounded.dispatch_latency_p99_ms, (v: number) => v < 50],
    ['engine_max_dials_per_s >= 5000', rounded.engine_max_dials_per_s, (v: number) => v >= 5000],
    ['redis_bytes_per_contact < 250', rounded.redis_bytes_per_contact, (v: number) => v < 250],
    ['predictive_occupancy_pct >= 85', rounded.predictive_occupancy_pct, (v: number) => v >= 85],
    ['predictive_max_abandon_pct <= 3', rounded.predictive_max_abandon_pct, (v: number) => v <= 3],
    ['predictive_talk_gain_pct >= 30', rounded.predictive_talk_gain_pct, (v: number) => v >= 30],
    ['fuzz_5xx = 0', rounded.fuzz_5xx, (v: number) => v === 0],
    [
      'sse_streams_per_redis_connection = streams open',
      rounded.sse_streams_per_redis_connection,
      (v: number) => v >= (rounded.sse_streams_open ?? Infinity),
    ],
    [
      'hubspot_requests_per_1000_enrolled <= 15',
      rounded.hubspot_requests_per_1000_enrolled,
      (v: number) => v <= 15,
    ],
    [
      'hubspot_requests_per_1000_outcomes <= 25',
      rounded.hubspot_requests_per_1000_outcomes,
      (v: number) => v <= 25,
    ],
    ['hubspot_max_requests_per_10s <= 100', rounded.hubspot_max_requests_per_10s, (v: number) => v <= 100],
    ['hubspot_writeback_lag_p99_ms < 2000', rounded.hubspot_writeback_lag_p99_ms, (v: number) => v < 2000],
    ['api_dialer_view_p99_ms < 50', rounded.api_dialer_view_p99_ms, (v: number) => v < 50],
    ['compliance_preview_10k_ms < 1000', rounded.compliance_preview_10k_ms, (v: number) => v < 1000],
    ['redis_bytes_per_contact_steady < 250', rounded.redis_bytes_per_contact_steady, (v: number) => v < 250],
  ] as const;
  for (const [label, value, ok] of targets)
    if (value !== undefined) console.log(`${ok(value) ? 'PASS' : 'MISS'}  ${label}`);
}

async function paceSection(results: Record<string, number>) {
  // 1. pace accuracy and caps: 50 calls/s for 60 s over 4 worker processes
  const cps = 50;
  const cap = 40;
  console.log('pacer: 50 calls/s, cap 40, 4 worker processes, 60 s ...');
  const pace = await profiled('pace', () =>
    run({
      name: 'pace',
      cps,
      cap,
      contacts: cps * 60,
      workers: 4,
      due: (_i, now) => now,
      answerDelay: () => 100 + Math.random() * 500,
      timeoutMs: 120_000,
    }),
  );
  const atCarrier = pace.dials.map((d) => d.at).sort((a, b) => a - b);
  const granted = pace.dials.map((d) => d.grantedAt).sort((a, b) => a - b);
  const achieved = ((granted.length - 1) * 1000) / (granted[granted.length - 1]! - granted[0]!);
  const achievedCarrier =
    ((atCarrier.length - 1) * 1000) / (atCarrier[atCarrier.length - 1]! - atCarrier[0]!);
  results.pacer_dials = pace.dials.length;
  results.pacer_cps_achieved = achieved;
  results.pacer_cps_error_pct = (Math.abs(achieved - cps) / cps) * 100;
  results.pacer_cps_error_pct_at_carrier = (Math.abs(achievedCarrier - cps) / cps) * 100;
  // the pace that matters is the one the carrier sees: pacer_cps_violations counts the carrier's receive times
  results.pacer_cps_violations = windowViolations(atCarrier, cps);
  results.pacer_cps_violations_at_carrier = results.pacer_cps_violations;
  const cac = concurrencyViolations(
    pace.dials.map((d) => [d.at, pace.ended.get(d.attemptId)!]),
    cap,
  );
  results.cac_violations = cac.violations;
  results.cac_max_live = cac.max;
}

/** Leads fall due at 100/s; due time -> dial request received by the carrier. */
async function latencyRun(name: string, cps: number) {
  const latency = await profiled(name, () =>
    run({
      name,
      cps,
      cap: 1000,
      contacts: 1500,
      workers: 4,
      due: (i, now) => now + 3000 + i * 10,
      answerDelay: () => 50 + Math.random() * 200,
      timeoutMs: 60_000,
    }),
  );
  return latency.dials.map((d) => d.at - d.dueAt);
}

async function latencySection(results: Record<string, number>, notes: string[]) {
  // 2a. the engine's own latency: the pace cap (200/s) is twice the arrival rate, so it never holds a lead back
  console.log('dispatch latency: leads due at 100/s, pace cap 200/s (not binding), 4 worker processes ...');
  const free = await latencyRun('lat', 200);
  results.dispatch_latency_p50_ms = percentile(free, 50);
  results.dispatch_latency_p99_ms = percentile(free, 99);
  results.dispatch_latency_max_ms = Math.max(...free);
  notes.push(
    'dispatch_latency_*: due time -> carrier, leads due at 100/s with a 200 calls/s cap that never binds: the engine itself.',
  );
  // 2b. paced at exactly the arrival rate: a lead waits for its slot whenever an earlier one was late
  console.log('dispatch latency, paced: leads due at 100/s, pace 100/s, 4 worker processes ...');
  const paced = await latencyRun('latp', 100);
  results.dispatch_latency_paced_p50_ms = percentile(paced, 50);
  results.dispatch_latency_paced_p99_ms = percentile(paced, 99);
  notes.push(
    'dispatch_latency_paced_*: same arrivals with the pace equal to the arrival rate (100/s): includes waits for pacer slots.',
  );
}

/** Dial requests per second in the middle 80% of a run (steady state, not the start-up and the tail). */
function steadyRate(dials: Dial[]): number {
  const times = dials.map((d) => d.at).sort((a, b) => a - b);
  const lo = Math.floor(times.length * 0.1);
  const hi = Math.floor(times.length * 0.9);
  return ((hi - lo) * 1000) / (times[hi]! - times[lo]!);
}

/** The max-dials run on a local three-master Redis Cluster of its own (same workers, same engine). */
async function clusterSection(results: Record<string, number>) {
  console.log('cluster dials/s: unthrottled, 4 worker processes, local three-master cluster ...');
  const cluster = await startLocalCluster(3);
  try {
    const n = 20_000;
    const out = await run({
      name: 'cluster',
      cps: 1_000_000,
      cap: 1_000_000,
      contacts: n,
      workers: 4,
      due: (_i, now) => now,
      answerDelay: () => 0,
      timeoutMs: 120_000,
      accountCps: 1_000_000,
      cluster: cluster.nodes,
    });
    results.cluster_dials_per_s = steadyRate(out.dials);
  } finally {
    await cluster.stop();
  }
}

/**
 * Bytes per lead once every lead has had 3 to 8 attempts (their attempt records expired, as 48 h after a
 * finish): the lead's own records only, with progress as the engine writes it after those attempts.
 */
async function bytesPerContactSteady(n: number) {
  const prefix = `bench-mem-steady-${randomBytes(3).toString('hex')}`;
  const redis = await connect();
  const store = new RedisStore({ redis, keyPrefix: prefix });
  try {
    const now = clock.now();
    await store.createCampaign({
      portalId: PORTAL,
      campaignId: 'mem',
      settings: settings(10, 10),
      status: 'draft',
      version: 1,
      createdAt: now,
      updatedAt: now,
    });
    const leads = rows(n, () => now);
    await store.enroll(PORTAL, 'mem', leads, [], now);
    const HOUR = 3_600_000;
    for (let i = 0; i < leads.length; i += 500) {
      await Promise.all(
        leads.slice(i, i + 500).map(async (row, j) => {
          const attempts = 3 + ((i + j) % 6); // 3..8
          const times = Array.from(
            { length: attempts },
            (_, a) => now + a * 26 * HOUR + ((i + j) % 997) * 1000,
          );
          const final = (i + j) % 3 === 0;
          const lead = (await store.getLead(PORTAL, 'mem', row.contactId))!;
          await store.updateLead(
            PORTAL,
            'mem',
            row.contactId,
            lead.rev,
            {
              state: final ? 'failed' : 'retrying',
              attempts,
              firstAttemptAt: times[0]!,
              recentAttemptTimes: times.slice(-3),
              consecutiveTechnicalErrors: 0,
              attemptId: `a.0.${randomBytes(9).toString('base64url')}`,
            },
            final ? null : times[times.length - 1]! + 26 * HOUR,
          );
        }),
      );
    }
    let usage = 0;
    for await (const batch of redis.scanIterator({ MATCH: `${prefix}:*`, COUNT: 1000 })) {
      const sizes = await Promise.all(
        batch.filter((k) => !k.endsWith(':events')).map((k) => redis.memoryUsage(k, { SAMPLES: 0 })),
      );
      for (const v of sizes) usage += Number(v);
    }
    return usage / n;
  } finally {
    await deletePrefix(redis, prefix);
    await store.close();
    redis.destroy();
  }
}

async function maxSection(results: Record<string, number>) {
  // 3. most dial decisions per second: unthrottled pace, carrier answers at once
  console.log('max dial decisions/s: unthrottled, 4 worker processes ...');
  const n = 20_000;
  const fast = await profiled('max', () =>
    run({
      name: 'max',
      cps: 1_000_000,
      cap: 1_000_000,
      contacts: n,
      workers: 4,
      due: (_i, now) => now,
      answerDelay: () => 0,
      timeoutMs: 120_000,
      // unthrottled means the account's rate limit too: the engine is measured, not a configured limit
      accountCps: 1_000_000,
    }),
  );
  // a decision counts when its dial request reaches the carrier
  const fastTimes = fast.dials.map((d) => d.at).sort((a, b) => a - b);
  // the middle 80% of the run: steady state, not the start-up and the tail
  const lo = Math.floor(fastTimes.length * 0.1);
  const hi = Math.floor(fastTimes.length * 0.9);
  results.engine_max_dials_per_s = ((hi - lo) * 1000) / (fastTimes[hi]! - fastTimes[lo]!);
}

await main();
