/**
 * Jest global setup: the tests need a Redis. Use the one at `AUTODIAL_TEST_REDIS_URL` (default
 * redis://127.0.0.1:6379) when it answers PING; otherwise start a throwaway `redis-server` on a free port (temp
 * dir, no persistence), hand its URL to the test workers through `AUTODIAL_TEST_REDIS_URL`, and let the global
 * teardown stop it. No `redis-server` either: fail at once with one line saying how to get one.
 */
import type * as ThrowawayRedisModule from '../../src/cli/throwaway-redis.js';
import type { ThrowawayRedis } from '../../src/cli/throwaway-redis.js';

/**
 * Jest transforms this file but not what it imports (node would look for a `.js` file that does not exist):
 * load the helper through tsx, which the project already uses to run TypeScript.
 */
async function loadThrowawayRedis(): Promise<typeof ThrowawayRedisModule> {
  const { tsImport } = await import('tsx/esm/api');
  return tsImport('../../src/cli/throwaway-redis.js', import.meta.url) as Promise<
    typeof ThrowawayRedisModule
  >;
}

export const DEFAULT_TEST_REDIS_URL = 'redis://127.0.0.1:6379';

/** Shared with the teardown: jest runs both in its parent process. */
declare global {
  var __autodialTestRedis: ThrowawayRedis | undefined;
}

export default async function redisGlobalSetup(): Promise<void> {
  const { redisAnswers, throwawayRedis, redisServerBinary, INSTALL_HINT } = await loadThrowawayRedis();
  const configured = process.env.AUTODIAL_TEST_REDIS_URL ?? DEFAULT_TEST_REDIS_URL;
  if (await redisAnswers(configured)) {
    process.env.AUTODIAL_TEST_REDIS_URL = configured;
    return;
  }
  if (!redisServerBinary()) {
    // One line, not a stack trace: the fix is an install, not a debugging session.
    process.stderr.write(`\n${INSTALL_HINT}\n`);
    process.exit(1);
  }
  const redis = await throwawayRedis();
  globalThis.__autodialTestRedis = redis;
  process.env.AUTODIAL_TEST_REDIS_URL = redis.url;
  process.stderr.write(
    `\nNo Redis answered at ${configured}; tests use a throwaway redis-server at ${redis.url}\n`,
  );
}
