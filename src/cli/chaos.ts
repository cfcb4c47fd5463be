/**
 * `npm run chaos`: several worker processes on a Redis of the run's own (own port, AOF on, fsync always),
 * three campaigns sharing numbers (Florida and Canadian among them) on the chaos carrier, whose callbacks are
 * delayed, dropped and duplicated. Meanwhile it SIGKILLs random workers, restarts Redis, runs one worker with
 * a clock ten minutes slow, and starts just before 20:00 in New York so Florida's 20:00 limit falls mid-run.
 * Then it checks every invariant from the carrier's own log and the CRM's records, prints a table, and merges
 * the `chaos_*` figures into bench-results.json. Flags: --workers 3 --seconds 150 --seed 7.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { DateTime } from 'luxon';
import { connectRedis } from '../engine/store/redis/connection.js';
import { normalizePhone } from '../domain/phone.js';
import { seededRandom } from '../domain/random.js';
import { AccountSettingsSchema } from '../domain/settings.js';
import { CampaignService } from '../engine/campaigns.js';
import { shiftedClock } from '../shared/clock.js';
import { RedisStore } from '../engine/store/redis-store.js';
import { createNumberZoneLookup } from '../telephony/number-zones.js';
import { ChaosCarrier } from './chaos/carrier.js';
import { judge, type ChaosFigures } from './chaos/checks.js';
import { throwawayRedis, type ThrowawayRedis } from './throwaway-redis.js';

const { values: flags } = parseArgs({
  options: { workers: { type: 'string' }, seconds: { type: 'string' }, seed: { type: 'string' } },
});
const WORKERS = Math.max(2, Number(flags.workers ?? 3));
const CHAOS_SECONDS = Math.max(30, Number(flags.seconds ?? 150));
const SEED = Number(flags.seed ?? 7);
const DRAIN_SECONDS = 120;
const PORTAL = '9001';
const PREFIX = 'chaos';
const CAMPAIGN_CAP = 8;
const ACCOUNT_CAP = 40;
/** The shared true time starts at 19:58:30 in New York on a Monday: Florida's legal hours end 90 s in. */
const TRUE_START = DateTime.fromISO('2030-01-07T19:58:30', { zone: 'America/New_York' }).toMillis();
const SLOW_WORKER_SKEW_MS = -10 * 60_000;

const random = seededRandom(SEED);
const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
const print = (line = '') => process.stdout.write(`${line}\n`);
const clockOffset = TRUE_START - Date.now();
const trueClock = shiftedClock(clockOffset);

/** Area codes of the shared number pool: Florida (Eastern and Central), Oklahoma, Canada, New York, California. */
const AREAS = ['305', '407', '786', '850', '405', '918', '416', '604', '514', '212', '415'];

function numberPool(size: number): string[] {
  const pool = new Set<string>();
  while (pool.size < size) {
    const line = `${2 + Math.floor(random() * 8)}${String(Math.floor(random() * 1e6)).padStart(6, '0')}`;
    const parsed = normalizePhone(`+1${pick(AREAS)}${line}`, 'US');
    if (parsed.ok) pool.add(parsed.phone.e164);
  }
  return [...pool];
}

function campaignSettings(name: string) {
  const weekday = { enabled: true, start: '08:00', end: '21:00' };
  return {
    name,
    callerIds: ['+12125550100'],
    dialMode: { mode: 'message' },
    message: { say: 'This is a reminder' },
    amd: { detection: 'off', onMachine: 'hangup' },
    pace: { callsPerSecond: 5, maxConcurrentCalls: CAMPAIGN_CAP },
    retry: { strategy: 'intervals', delaysMinutes: [1], maxAttempts: 4, maxRetryDays: 7, minGapMinutes: 1 },
    windows: {
      monday: weekday,
      tuesday: weekday,
      wednesday: weekday,
      thursday: weekday,
      friday: weekday,
      saturday: weekday,
      sunday: weekday,
    },
  };
}

interface Worker {
  id: string;
  skewMs: number;
  child?: ChildProcess;
  /** Set while the run itself stops the worker (a kill, the end): any other exit is a crash. */
  stopping?: boolean;
}

async function main(): Promise<void> {
  print(`Chaos run: ${WORKERS} workers, ${CHAOS_SECONDS} s of faults, seed ${SEED}`);
  let redis: ThrowawayRedis = await throwawayRedis({ appendOnly: true, fsyncAlways: true });
  const redisUrl = redis.url;
  print(`Own redis-server on ${redisUrl} (AOF, fsync always) in ${redis.dir}`);
  const carrier = new ChaosCarrier(trueClock.now, SEED, {
    dropRate: 0.08,
    duplicateRate: 0.1,
    longDelayRate: 0.05,
    longDelayMs: 20_000,
  });
  const carrierUrl = await carrier.listen();

  // Setup through the same service the backend uses; this and the workers' are the run's only Redis connections.
  // Redis restarts are part of the run: connection errors are expected and not printed.
  const client = await connectRedis({ url: redisUrl }, () => {});
  const store = new RedisStore({ redis: client, keyPrefix: PREFIX });
  const zones = createNumberZoneLookup();
  const account = AccountSettingsSchema.parse({ defaultRegion: 'US' });
  const campaigns = new CampaignService({ store, clock: trueClock, zones, account: () => account });
  const pool = numberPool(240);
  const dncSince = new Map<string, number>();
  for (const n of pool.slice(0, 12)) dncSince.set(n, 0);
  await campaigns.addDoNotCall(PORTAL, [...dncSince.keys()]);
  const campaignIds: string[] = [];
  for (const name of ['renewals', 'reminders', 'survey']) {
    const c = await campaigns.create(PORTAL, campaignSettings(name), name);
    const numbers = pool.filter(() => random() < 0.55);
    await campaigns.enroll(
      PORTAL,
      c.campaignId,
      numbers.map((phone) => ({ contactId: `k${pool.indexOf(phone)}`, phone })),
    );
    await campaigns.act(PORTAL, c.campaignId, 'start');
    campaignIds.push(c.campaignId);
  }
  const laterDnc = pool.slice(12, 24);

  let crashes = 0;
  let unhandledRedisErrors = 0;
  const workers: Worker[] = Array.from({ length: WORKERS }, (_, i) => ({
    id: `w${i}`,
    skewMs: i === 0 ? SLOW_WORKER_SKEW_MS : 0,
  }));
  const startWorker = (w: Worker) =>
    new Promise<void>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/chaos/worker.ts'], {
        env: {
          ...process.env,
          REDIS_URL: redisUrl,
          KEY_PREFIX: PREFIX,
          PORTAL_ID: PORTAL,
          CARRIER_URL: carrierUrl,
          WORKER_ID: w.id,
          CLOCK_OFFSET_MS: String(clockOffset),
          CLOCK_SKEW_MS: String(w.skewMs),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      // Workers' stderr: "Unhandled error event" lines (a Redis connection without an error listener, issue
      // 9) are counted rather than printed by the hundred; anything else is shown.
      createInterface({ input: child.stderr! }).on('line', (line) => {
        if (line.includes('Unhandled error event')) unhandledRedisErrors++;
        else if (!/^\s+at /.test(line)) print(`  [${w.id}] ${line}`);
      });
      w.child = child;
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const port = /^READY (\d+)$/.exec(line)?.[1];
        if (port) {
          carrier.setWorker(w.id, `http://127.0.0.1:${port}`);
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        carrier.setWorker(w.id, undefined);
        resolve();
        if (w.stopping || w.child !== child) return;
        // A worker that died on its own is restarted, as a supervisor would: counted, not hidden.
        crashes++;
        print(`  worker ${w.id} crashed (${signal ?? `exit ${code}`}); restarting it`);
        setTimeout(() => void startWorker(w), 1_000);
      });
    });
  await Promise.all(workers.map(startWorker));
  print(`Workers up (w0's clock ${SLOW_WORKER_SKEW_MS / 60_000} min); carrier on ${carrierUrl}`);

  let kills = 0;
  let redisRestarts = 0;
  const chaosEnd = Date.now() + CHAOS_SECONDS * 1000;
  let nextKill = Date.now() + 10_000 + random() * 10_000;
  let nextRedisRestart = Date.now() + 25_000 + random() * 15_000;
  let dncAddedLate = false;
  while (Date.now() < chaosEnd) {
    await sleep(500);
    if (!dncAddedLate && Date.now() > chaosEnd - (CHAOS_SECONDS * 1000) / 2) {
      dncAddedLate = true;
      await campaigns.addDoNotCall(PORTAL, laterDnc).catch(() => {});
      const since = trueClock.now();
      for (const n of laterDnc) dncSince.set(n, since);
      print(`  ${laterDnc.length} numbers put on DNC mid-run`);
    }
    if (Date.now() > nextKill) {
      const victim = pick(workers);
      victim.stopping = true;
      victim.child?.kill('SIGKILL');
      kills++;
      carrier.setWorker(victim.id, undefined);
      await sleep(500 + random() * 2_500);
      victim.stopping = false;
      await startWorker(victim);
      nextKill = Date.now() + 8_000 + random() * 14_000;
    }
    if (Date.now() > nextRedisRestart) {
      const { port, dir } = redis;
      redis.process.kill('SIGKILL');
      await new Promise((r) => redis.process.once('exit', r));
      redisRestarts++;
      await sleep(1_000 + random() * 3_000);
      redis = await throwawayRedis({ appendOnly: true, fsyncAlways: true, port, dir });
      nextRedisRestart = Date.now() + 25_000 + random() * 20_000;
    }
  }
  print(
    `Faults over: ${kills} worker kills, ${redisRestarts} Redis restarts; draining (up to ${DRAIN_SECONDS} s)`,
  );

  const notFinal = async () => {
    let dialing = 0;
    for (const id of campaignIds) dialing += (await store.leadStates(PORTAL, id)).dialing;
    return dialing;
  };
  const drainEnd = Date.now() + DRAIN_SECONDS * 1000;
  while (Date.now() < drainEnd && ((await notFinal().catch(() => 1)) > 0 || carrier.liveCalls().length > 0)) {
    await sleep(1_000);
  }
  await carrier.drain(30_000);
  await sleep(8_000); // the writebacks' last batch
  for (const w of workers) {
    w.stopping = true;
    w.child?.kill('SIGTERM');
  }
  await Promise.all(
    workers.map((w) => new Promise((r) => (w.child?.exitCode !== null ? r(0) : w.child.once('exit', r)))),
  );

  const calls = [...carrier.calls.values()];
  let ackedButUnfinished = 0;
  // Diagnosis of what was not finished: was the final status ever delivered, was the call answered?
  const unfinished = { finalNeverDelivered: 0, answered: 0, total: 0 };
  let recoveredByAsking = 0;
  for (const call of calls) {
    const attempt = await store.getAttempt(PORTAL, call.attemptId);
    const finished = attempt?.state === 'finished';
    if (call.finalAckedAt !== undefined && !finished) ackedButUnfinished++;
    if (call.finalAckedAt === undefined && finished) recoveredByAsking++;
    if (!finished) {
      unfinished.total++;
      if (call.finalAckedAt === undefined) unfinished.finalNeverDelivered++;
      if (call.answered) unfinished.answered++;
    }
  }
  const zonesOf = new Map<string, string[]>();
  for (const n of pool) zonesOf.set(n, await zones.candidateZones(n));
  const figures: ChaosFigures &
    Record<'chaos_kills' | 'chaos_redis_restarts' | 'chaos_worker_crashes', number> = {
    ...judge({
      calls,
      crmRecords: carrier.crmRecords,
      dncSince,
      zonesOf,
      campaignCaps: new Map(campaignIds.map((id) => [id, CAMPAIGN_CAP])),
      accountCap: ACCOUNT_CAP,
      leadsNotFinal: await notFinal(),
      ackedButUnfinished,
    }),
    chaos_kills: kills,
    chaos_redis_restarts: redisRestarts,
    chaos_worker_crashes: crashes,
  };

  print();
  print(
    `Carrier: ${carrier.stats.dials} calls placed, ${carrier.stats.refusedLate} refused past their deadline; ` +
      `callbacks ${carrier.stats.callbacks} delivered, ${carrier.stats.dropped} dropped, ` +
      `${carrier.stats.duplicated} duplicated, ${carrier.stats.retried} retried; CRM records ${carrier.crmRecords.length}`,
  );
  print(
    `Attempts whose final status never reached a worker but finished anyway (the engine asked the carrier): ` +
      `${recoveredByAsking}; attempts not finished at the end: ${unfinished.total} ` +
      `(final status never delivered: ${unfinished.finalNeverDelivered}, answered: ${unfinished.answered})`,
  );
  print(`Workers' unhandled Redis connection error events (no error listener): ${unhandledRedisErrors}`);
  print();
  print('Invariant                                   Found   Target');
  for (const [name, value] of Object.entries(figures)) {
    const target = name === 'chaos_kills' || name === 'chaos_redis_restarts' ? '' : '0';
    const flag = target === '0' && value > 0 ? '  BROKEN' : '';
    print(`${name.padEnd(42)} ${String(value).padStart(6)}   ${target}${flag}`);
  }
  const path = 'bench-results.json';
  const existing = existsSync(path)
    ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>)
    : {};
  writeFileSync(path, `${JSON.stringify({ ...existing, ...figures }, null, 2)}\n`);
  print(`\nFigures merged into ${path}`);

  await store.close().catch(() => {});
  client.destroy();
  await carrier.close();
  await redis.stop();
  // a restarted server reuses the first one's directory, which is then the run's to remove
  rmSync(redis.dir, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `chaos run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
