/**
 * Live streams against a real Redis (issue 10 finding 2): with many monitor pages open, the Redis client count
 * stays where it was (one shared reader), and once they leave nothing is left behind. A private redis-server
 * keeps the client count ours alone.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadEnv } from '../../src/config/env.js';
import { composeBackend } from '../../src/app/compose.js';
import { createLogger } from '../../src/observability/logger.js';
import { openMonitorStreams, startPrivateRedis } from '../../src/cli/bench-surface.js';

let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
beforeAll(async () => {
  redis = await startPrivateRedis();
});
afterAll(async () => {
  await redis.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('monitor streams on Redis', () => {
  it('80 open streams add at most one Redis connection, and closing them frees every stream', async () => {
    const backend = await composeBackend(
      loadEnv({ REDIS_URL: `redis://127.0.0.1:${redis.port}`, REDIS_KEY_PREFIX: 'test-surface' }),
      { logger: createLogger({ level: 'silent' }) },
    );
    try {
      const port = await backend.listen(0, '127.0.0.1');
      await sleep(1200);
      const before = redis.clients();
      const first = await openMonitorStreams(port, 40);
      const second = await openMonitorStreams(port, 40, 10);
      expect([...first, ...second].map((r) => r.statusCode).filter((s) => s !== 200)).toEqual([]);
      // Still 10 per client: the 11th stream of an address is refused.
      const eleventh = await openMonitorStreams(port, 1, 2);
      expect(eleventh[0]!.statusCode).toBe(429);
      eleventh[0]!.destroy();
      await sleep(1200);
      expect(redis.clients() - before).toBeLessThanOrEqual(1);
      for (const res of [...first, ...second]) res.destroy();
      await sleep(1500);
      const after = redis.clients();
      // The shared reader's connection may stay pooled for the next page; nothing per stream stays.
      expect(after - before).toBeLessThanOrEqual(1);
      // Open and close again: the count does not creep.
      const again = await openMonitorStreams(port, 40);
      await sleep(1200);
      expect(redis.clients() - before).toBeLessThanOrEqual(1);
      for (const res of again) res.destroy();
    } finally {
      await backend.close();
    }
  }, 60_000);
});
