/**
 * A Redis reply lost to a dropped connection. node-redis rejects the command still awaiting its reply; the
 * store's script runner re-sends it once the client has reconnected (scripts.ts), so a script Redis already ran
 * runs a second time.
 * This is what a restart or a network blip does to the command in flight; the redis-restart suite hits it by
 * chance, this suite hits it on purpose: a TCP proxy between the store and Redis forwards the command that
 * records a dial request (the one carrying the `attempt.started` event), swallows Redis's reply and cuts the
 * connection. The dial request must still lead to exactly one dial, not to an attempt nobody places.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';
import { seededRandom } from '../../src/domain/random.js';
import { CampaignService } from '../../src/engine/campaigns.js';
import { Engine } from '../../src/engine/dialer.js';
import { RedisStore } from '../../src/engine/store/redis-store.js';
import type { RedisClient } from '../../src/engine/store/redis/connection.js';
import { ManualClock, RecordingTelephony, generousLimits } from '../engine/fixtures/harness.js';
import { REDIS_URL, connectTestRedis, deleteByPrefix, uniquePrefix } from '../engine/redis-helpers.js';
import { MONDAY_2PM_NY, isFinished, nyZones, quickRetryCampaign, waitUntil } from './fixtures.js';

const PORTAL = '6060';
const STARTED_MARKER = '"type":"attempt.started"';

/** Forwards TCP to Redis; once armed, swallows the reply to the first command containing `marker` and cuts. */
class ReplyDroppingProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private armed = false;
  dropped = 0;
  port = 0;

  constructor(
    private readonly targetPort: number,
    private readonly marker: string,
    private readonly targetHost = '127.0.0.1',
  ) {
    this.server = createServer((client) => this.pipe(client));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  arm() {
    this.armed = true;
  }

  private pipe(client: Socket) {
    const upstream = connect(this.targetPort, this.targetHost);
    this.sockets.add(client).add(upstream);
    let tail = '';
    let swallowing = false;
    client.on('data', (chunk: Buffer) => {
      const text = tail + chunk.toString('latin1');
      tail = text.slice(-this.marker.length);
      if (this.armed && text.includes(this.marker)) {
        this.armed = false;
        swallowing = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!swallowing) {
        client.write(chunk);
        return;
      }
      // Redis ran the command and answered: the answer never reaches the client, the connection drops.
      this.dropped++;
      client.destroy();
      upstream.destroy();
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('a lost reply to the dial-request script (connection dropped, the store re-sends it)', () => {
  const prefix = uniquePrefix('lost-reply');
  const target = new URL(REDIS_URL);
  const proxy = new ReplyDroppingProxy(Number(target.port || 6379), STARTED_MARKER, target.hostname);
  let cleaner: RedisClient;
  let redis: RedisClient;
  let store: RedisStore;

  beforeAll(async () => {
    await proxy.listen();
    cleaner = await connectTestRedis();
    // the dropped connection is the point of the test: its errors are expected
    redis = await connectTestRedis(`redis://127.0.0.1:${proxy.port}`);
    store = new RedisStore({ redis, keyPrefix: prefix, onConnectionError: () => {} });
  });

  afterAll(async () => {
    await deleteByPrefix(cleaner, prefix);
    await store.close();
    redis.destroy();
    cleaner.destroy();
    await proxy.close();
  });

  it('the attempt that was recorded as started is the one dialed, once', async () => {
    const clock = new ManualClock(MONDAY_2PM_NY);
    const campaigns = new CampaignService({ store, clock, zones: nyZones, random: seededRandom(31) });
    const telephony = new RecordingTelephony(clock);
    const errors: unknown[] = [];
    const engine = new Engine({
      limits: generousLimits,
      store,
      telephony,
      clock,
      campaigns,
      zones: nyZones,
      random: seededRandom(32),
      onError: (e) => errors.push(e),
    });
    const c = await campaigns.create(PORTAL, quickRetryCampaign('Lost reply'), 'lost');
    await campaigns.enroll(PORTAL, c.campaignId, [
      { contactId: 'only', phone: '+12125554000', timeZone: 'America/New_York' },
    ]);
    await campaigns.act(PORTAL, c.campaignId, 'start');

    proxy.arm();
    await engine.pass(PORTAL); // the dial request's reply is lost; the store re-sends it after the reconnect
    await waitUntil(() => proxy.dropped > 0, 'the proxy to drop the reply of the dial request');
    const started = async () =>
      (await store.tail(PORTAL, '0', { count: 1000, blockMs: 0 })).filter(
        (e) => e.type === 'attempt.started',
      );
    await waitUntil(async () => (await started()).length > 0, 'the dial request to be recorded');
    // Let the engine finish what the pass began (the dial runs in the background), then pass again.
    await new Promise((r) => setTimeout(r, 200));
    await engine.pass(PORTAL);
    await new Promise((r) => setTimeout(r, 200));

    const startedIds = (await started()).map((e) => (e as { attemptId: string }).attemptId);
    expect(startedIds).toHaveLength(1);
    // The attempt recorded as dial-requested (attempt.started) must be placed: otherwise it is never dialed,
    // only reaped as a "lost" call that burns one of the contact's attempts and writes a phantom CRM record.
    expect(telephony.dials.map((d) => d.attemptId)).toEqual(startedIds);

    // And after its lease ran out, no "lost" outcome is recorded for a call that was never placed.
    clock.advance(15_000 + 120_000 + 1);
    await engine.pass(PORTAL);
    const finished = (await store.tail(PORTAL, '0', { count: 1000, blockMs: 0 })).filter(isFinished);
    expect(finished.filter((e) => !telephony.dials.some((d) => d.attemptId === e.attemptId))).toEqual([]);
  });
});
