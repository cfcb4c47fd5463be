/**
 * "Nothing is lost" across a Redis restart. The test runs its own redis-server (AOF, fsync always) on a free
 * port, runs a 200-contact campaign on it (engine, simulated carrier, CRM writeback into the local sample CRM),
 * stops Redis with SIGTERM in the middle (every acknowledged write is on disk), restarts it on the same
 * directory and port, and checks that the run still ends with every contact final, no contact dialed twice at
 * once, no attempt dialed twice, one CRM record per finished attempt and nothing pending in the writeback.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { LocalSampleCrm } from '../../src/crm/local-sample-crm.js';
import { startWriteback } from '../../src/crm/writeback.js';
import { seededRandom } from '../../src/domain/random.js';
import { CampaignService } from '../../src/engine/campaigns.js';
import { acceleratedClock } from '../../src/shared/clock.js';
import { Engine } from '../../src/engine/dialer.js';
import { FINAL_LEAD_STATES } from '../../src/engine/events.js';
import { PortalKeys } from '../../src/engine/store/keys.js';
import { createRedisConnection } from '../../src/engine/store/redis/connection.js';
import { RedisStore } from '../../src/engine/store/redis-store.js';
import { silentLogger } from '../../src/observability/logger.js';
import { SimulatedCarrier } from '../../src/telephony/simulator/simulated-carrier.js';
import {
  MONDAY_2PM_NY,
  RecordingCarrier,
  SHORT_CALLS,
  contactRows,
  contactsWithOverlappingCalls,
  duplicates,
  isFinished,
  isPlacedCall,
  nyZones,
  quickRetryCampaign,
  redeliveringSink,
  waitUntil,
} from './fixtures.js';
import { generousLimits } from '../engine/fixtures/harness.js';

const PORTAL = '4242';
const CONTACTS = 200;
const MAX_ATTEMPTS = 3;
const GROUP = 'crm-writeback';
/** One real second is a minute of engine time: retries 1 minute apart take a second. */
const SPEED = 60;

function redisServerBinary(): string {
  try {
    const path = execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
    if (path) return path;
  } catch {
    // fall through to the explicit error
  }
  throw new Error(
    'redis-server is not on PATH: the Redis restart test starts its own server and cannot run without it ' +
      '(install Redis, e.g. `apt-get install redis-server`)',
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A redis-server child with AOF persistence in its own directory; restartable on the same dir and port. */
class OwnRedis {
  private child: ChildProcess | null = null;
  private output = '';
  starts = 0;

  constructor(
    private readonly binary: string,
    readonly port: number,
    readonly dir: string,
  ) {}

  async start(): Promise<void> {
    const child = spawn(
      this.binary,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
        '--daemonize',
        'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    this.starts++;
    child.stdout!.on('data', (d: Buffer) => (this.output = (this.output + d.toString()).slice(-4000)));
    child.stderr!.on('data', (d: Buffer) => (this.output = (this.output + d.toString()).slice(-4000)));
    await waitUntil(() => this.ping(), `redis-server on port ${this.port} to answer PING`, {
      maxPolls: 400,
      describe: () => ({ exitCode: child.exitCode, output: this.output }),
    });
  }

  /** True once the server accepts commands (a server still loading its AOF answers LOADING: false). */
  private async ping(): Promise<boolean> {
    if (this.child?.exitCode !== null) throw new Error(`redis-server exited early:\n${this.output}`);
    const probe = createClient({
      url: `redis://127.0.0.1:${this.port}`,
      socket: { reconnectStrategy: false },
      disableOfflineQueue: true,
    });
    probe.on('error', () => {});
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      if (probe.isOpen) probe.destroy();
    }
  }

  /** SIGTERM: Redis finishes the command at hand, fsyncs the AOF and exits. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await Promise.race([
      exited,
      new Promise<void>((resolve) =>
        setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, 10_000).unref(),
      ),
    ]);
    await exited;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }
}

let server: OwnRedis | null = null;
let dir = '';

beforeAll(async () => {
  const binary = redisServerBinary();
  dir = mkdtempSync(join(tmpdir(), 'autodial-redis-restart-'));
  server = new OwnRedis(binary, await freePort(), dir);
  await server.start();
});

afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a Redis restart in the middle of a campaign', () => {
  it('loses nothing: every contact final, no double dial, one CRM record per finished attempt', async () => {
    const own = server!;
    const clock = acceleratedClock(MONDAY_2PM_NY, SPEED);
    // fail-fast, as in production (connectRedis): commands during the outage throw instead of queueing
    const redis = createRedisConnection({ url: `redis://127.0.0.1:${own.port}` }, true);
    const inspector = createRedisConnection({ url: `redis://127.0.0.1:${own.port}` });
    let reconnects = 0;
    redis.on('reconnecting', () => reconnects++);
    redis.on('error', () => {}); // connection errors while Redis is down are expected
    inspector.on('error', () => {});
    await Promise.all([redis.connect(), inspector.connect()]);
    const store = new RedisStore({ redis, keyPrefix: 'resilience', onConnectionError: () => {} });
    const eventsKey = new PortalKeys('resilience', PORTAL).events();
    const campaigns = new CampaignService({ store, clock, zones: nyZones, random: seededRandom(1) });
    const carrier = new RecordingCarrier(clock);
    const engineErrors: unknown[] = [];
    const engine = new Engine({
      limits: generousLimits,
      store,
      telephony: carrier,
      clock,
      campaigns,
      zones: nyZones,
      random: seededRandom(2),
      onError: (e) => engineErrors.push(e),
    });
    const sink = redeliveringSink(() => engine, clock, carrier, { retryMs: 1000, maxTries: 600 });
    const simulator = new SimulatedCarrier({
      sink,
      clock,
      seed: 7,
      mix: { human: 0.4, busy: 0.15, 'no-answer': 0.2, machine: 0.1, invalid: 0.05, failed: 0.1 },
      ...SHORT_CALLS,
    });
    carrier.inner = simulator;
    const crm = new LocalSampleCrm();
    const rows = contactRows(CONTACTS, 'r');
    crm.addContacts(
      'all',
      rows.map((r) => ({ id: r.contactId, phone: r.phone })),
    );
    const writeback = startWriteback({
      eventLog: store,
      portalId: PORTAL,
      crm,
      consumer: 'writeback-1',
      clock,
      logger: silentLogger(),
      blockMs: 200,
      // XAUTOCLAIM measures idleness in Redis's own (real) time. An XREADGROUP whose reply the restart swallowed
      // leaves its entries pending on this consumer: a short idle time lets the run pick them up in seconds.
      claimIdleMs: 2_000,
      claimEveryMs: 5_000,
      random: seededRandom(3),
    });
    let stopped = false;
    const stopAll = async () => {
      if (stopped) return;
      stopped = true;
      await writeback.stop();
      await engine.stop();
    };

    try {
      const campaign = await campaigns.create(PORTAL, quickRetryCampaign('Restart'), 'restart');
      expect((await campaigns.enroll(PORTAL, campaign.campaignId, rows)).enrolled).toBe(CONTACTS);
      engine.start([PORTAL]);
      await campaigns.act(PORTAL, campaign.campaignId, 'start');

      // Polled through the outage: the store throws while Redis is down (never a wrong count), so that is -1.
      const finalCount = async () => {
        const states = await store.leadStates(PORTAL, campaign.campaignId).catch(() => null);
        return states ? FINAL_LEAD_STATES.reduce((sum, s) => sum + states[s], 0) : -1;
      };

      // Let the run get well under way: records in the CRM, calls live at the carrier, contacts still waiting.
      await waitUntil(
        () => crm.allCalls().length >= 40 && carrier.dials.some((d) => d.endedAt === undefined),
        'the campaign to be under way before the restart',
        { describe: () => ({ records: crm.allCalls().length, dials: carrier.dials.length }) },
      );
      const finalBefore = await finalCount();
      const liveAtKill = carrier.dials.filter((d) => d.endedAt === undefined).length;
      const pidBefore = own.pid;

      await own.stop();
      // The outage (3 minutes of engine time, longer than a ringing call's lease): the engine, the carrier and
      // the writeback keep running against a dead server.
      await new Promise((r) => setTimeout(r, 3000));
      await own.start();
      expect(own.pid).not.toBe(pidBefore);

      expect(finalBefore).toBeLessThan(CONTACTS);
      expect(liveAtKill).toBeGreaterThan(0);

      await waitUntil(async () => (await finalCount()) === CONTACTS, 'every contact to reach a final state', {
        everyMs: 100,
        maxPolls: 1500,
        describe: async () => ({
          states: await store.leadStates(PORTAL, campaign.campaignId),
          engineErrors: engineErrors.length,
        }),
      });

      const finishedInStream = async () =>
        (await store.tail(PORTAL, '0', { count: 1_000_000, blockMs: 0 })).filter(isFinished);
      // a dial that never reached the carrier is finished too (placed: false), but it is no call: no CRM record
      const callsInStream = async () =>
        (await store.tail(PORTAL, '0', { count: 1_000_000, blockMs: 0 })).filter(isPlacedCall);
      const pendingCount = async () => Number((await inspector.xPending(eventsKey, GROUP)).pending);
      await waitUntil(
        async () => crm.allCalls().length === (await callsInStream()).length && (await pendingCount()) === 0,
        'the writeback to catch up',
        {
          everyMs: 100,
          maxPolls: 1500,
          describe: async () => ({
            records: crm.allCalls().length,
            calls: (await callsInStream()).length,
            pending: await pendingCount(),
          }),
        },
      );
      await stopAll();
      await Promise.race([simulator.whenIdle(), new Promise((r) => setTimeout(r, 30_000).unref())]);

      // The outage really happened under the engine's feet.
      expect(reconnects).toBeGreaterThan(0);

      // Every contact is final, and no contact got more attempts than the stop condition allows.
      const states = await store.leadStates(PORTAL, campaign.campaignId);
      expect(states.queued + states.dialing + states.retrying).toBe(0);
      for (const row of rows) {
        const lead = await store.getLead(PORTAL, campaign.campaignId, row.contactId);
        expect(FINAL_LEAD_STATES).toContain(lead!.progress.state);
        expect(lead!.progress.attempts).toBeLessThanOrEqual(MAX_ATTEMPTS);
      }

      // No attempt id dialed twice; no contact with two calls live at the carrier at once.
      expect(duplicates(carrier.dials.map((d) => d.attemptId))).toEqual([]);
      expect(carrier.dials.every((d) => d.endedAt !== undefined)).toBe(true);
      expect(contactsWithOverlappingCalls(carrier.dials)).toEqual([]);

      // Each attempt finished exactly once; every dialed attempt finished.
      const finished = await finishedInStream();
      const finishedIds = finished.map((e) => e.attemptId);
      expect(duplicates(finishedIds)).toEqual([]);
      const finishedSet = new Set(finishedIds);
      expect(carrier.dials.filter((d) => !finishedSet.has(d.attemptId))).toEqual([]);

      // One CRM record per finished call, with that attempt's outcome; nothing pending in the group.
      const calls = finished.filter(isPlacedCall);
      const records = crm.allCalls();
      expect(duplicates(records.map((r) => r.attemptId))).toEqual([]);
      expect(new Set(records.map((r) => r.attemptId))).toEqual(new Set(calls.map((e) => e.attemptId)));
      // A call finished as lost whose final callback came late carries its real outcome in attempt.corrected.
      const corrections = new Map<string, string>();
      for (const e of await store.tail(PORTAL, '0', { count: 1_000_000, blockMs: 0 }))
        if (e.type === 'attempt.corrected') corrections.set(e.attemptId, e.disposition);
      for (const event of calls) {
        expect(crm.callByAttempt(event.attemptId)).toMatchObject({
          contactId: event.contactId,
          disposition: corrections.get(event.attemptId) ?? event.disposition,
        });
      }
      expect(await pendingCount()).toBe(0);
    } finally {
      await stopAll();
      await store.close();
      if (redis.isOpen) redis.destroy();
      if (inspector.isOpen) inspector.destroy();
    }
  }, 180_000);
});
