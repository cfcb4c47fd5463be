/** Jest global teardown: stops the throwaway `redis-server` the global setup started, if it started one. */
import type { ThrowawayRedis } from '../../src/cli/throwaway-redis.js';

declare global {
  var __autodialTestRedis: ThrowawayRedis | undefined;
}

export default async function redisGlobalTeardown(): Promise<void> {
  const redis = globalThis.__autodialTestRedis;
  globalThis.__autodialTestRedis = undefined;
  await redis?.stop();
}
