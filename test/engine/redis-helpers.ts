import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisStore } from '../../src/engine/store/redis-store.js';

/** Set by the jest global setup (test/support/redis-global-setup.ts): the configured Redis or a throwaway one. */
export const REDIS_URL = process.env.AUTODIAL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix unique to this test run: tests delete only their own keys. */
export const uniquePrefix = (name: string) => `test-${name}-${randomBytes(4).toString('hex')}`;

export async function deleteByPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
}

export function redisStore(prefix: string) {
  const redis = new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 3 });
  const store = new RedisStore({ redis, keyPrefix: prefix });
  return {
    redis,
    store,
    async cleanup() {
      await deleteByPrefix(redis, prefix);
      await store.close();
      redis.disconnect();
    },
  };
}
