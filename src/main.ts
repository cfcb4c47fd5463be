/**
 * The backend process (`npm start`): reads the environment, composes the backend, serves HTTP and dials until
 * SIGTERM / SIGINT, then shuts down in order (no new dials, writeback drained, server closed, Redis closed).
 */
import { ConfigError, listenHost, loadEnv } from './config/env.js';
import type { Env } from './config/env.js';
import { UnsupportedConfigError, composeBackend } from './app/compose.js';
import { RedisUnavailableError } from './engine/store/redis/connection.js';

async function main(): Promise<void> {
  let env: Env;
  try {
    env = loadEnv();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  let backend;
  try {
    backend = await composeBackend(env);
  } catch (error) {
    if (error instanceof UnsupportedConfigError) {
      process.stderr.write(`Invalid configuration:\n  - ${error.message}\n`);
      process.exit(1);
    }
    if (error instanceof RedisUnavailableError) {
      // Before listening: a backend without its store must not look healthy to a load balancer.
      process.stderr.write(`autodial cannot start: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const { logger } = backend;

  await backend.start();
  const host = listenHost(env);
  const port = await backend.listen(env.PORT, host);
  logger.info(
    {
      host,
      port,
      portalId: backend.portalId,
      store: env.REDIS_CLUSTER_NODES ? 'redis-cluster' : env.REDIS_URL ? 'redis' : 'memory',
      telephony: env.TELEPHONY,
      crm: env.CRM,
    },
    `autodial backend listening on ${host}:${port}; monitor at /monitor`,
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // A second signal while draining means "now".
    process.once(signal, () => process.exit(1));
    backend
      .close()
      .then(() => {
        logger.info('stopped');
        logger.flush();
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'unclean shutdown');
        logger.flush();
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`autodial failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
