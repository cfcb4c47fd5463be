import { randomBytes } from 'node:crypto';
import { RedisStore, deleteMatching } from '../../src/engine/store/redis-store.js';
import { createRedisConnection, watchErrors } from '../../src/engine/store/redis/connection.js';
import type { RedisClient, RedisConnection } from '../../src/engine/store/redis/connection.js';

/** Set by the jest global setup (test/support/redis-global-setup.ts): the configured Redis or a throwaway one. */
export const REDIS_URL = process.env.AUTODIAL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix unique to this test run: tests delete only their own keys. */
export const uniquePrefix = (name: string) => `test-${name}-${randomBytes(4).toString('hex')}`;

export async function deleteByPrefix(redis: RedisConnection, prefix: string): Promise<void> {
  await deleteMatching(redis, `${prefix}:*`);
}

/**
 * A connected node-redis client for tests; connection errors are ignored unless `onError` is given (tests that
 * stop Redis on purpose see them by the hundred).
 */
export async function connectTestRedis(
  url: string = REDIS_URL,
  onError: (error: Error) => void = () => {},
): Promise<RedisClient> {
  const conn = watchErrors(createRedisConnection({ url }), 'test', (_, error) => onError(error), 0);
  await conn.connect();
  return conn as RedisClient;
}

/** A store on its own connection, usable at once (commands wait in node-redis's queue until it connects). */
export function redisStore(prefix: string) {
  const redis = watchErrors(createRedisConnection({ url: REDIS_URL }), 'test', () => {}, 0) as RedisClient;
  const connected = redis.connect();
  const store = new RedisStore({ redis, keyPrefix: prefix, onConnectionError: () => {} });
  return {
    redis,
    store,
    async cleanup() {
      await connected;
      await deleteByPrefix(redis, prefix);
      await store.close();
      redis.destroy();
    },
  };
}
