/**
 * The Redis connection the store runs on: one node-redis client, or a cluster client (every key of a portal
 * carries its hash tag, so each script's keys live in one slot). Built here so every connection, duplicates
 * for pub/sub and blocking reads included, has an error listener that names where it points, once per outage.
 */
import { createClient, createCluster, ErrorReply } from 'redis';

export type RedisClient = ReturnType<typeof createClient>;
export type RedisClusterClient = ReturnType<typeof createCluster>;
/** What the store accepts: a single node or a cluster (same commands; the cluster routes by key). */
export type RedisConnection = RedisClient | RedisClusterClient;

export interface RedisTarget {
  /** A single Redis (`redis://` or `rediss://`). */
  url?: string;
  /** Seed nodes of a Redis Cluster; when given, `url` is ignored. */
  clusterNodes?: string[];
}

/** How a connection's errors are reported: once when an outage starts, once more per `quietMs` while it lasts. */
export type RedisErrorLog = (message: string, error: Error) => void;

export function describeTarget(target: RedisTarget): string {
  return target.clusterNodes?.length
    ? `REDIS_CLUSTER_NODES=${target.clusterNodes.join(',')}`
    : `REDIS_URL=${target.url ?? ''}`;
}

/**
 * Attaches the one error listener a connection needs (node-redis emits 'error' on every failed reconnect; an
 * emitter without a listener would crash the process). Logs the first error of an outage and then at most one
 * line per `quietMs`; a successful 'ready' starts a new outage count.
 */
export function watchErrors(
  conn: RedisConnection,
  name: string,
  log: RedisErrorLog,
  quietMs = 10_000,
): RedisConnection {
  let lastLogged = 0;
  conn.on('error', (error: Error) => {
    const now = Date.now();
    if (now - lastLogged < quietMs) return;
    lastLogged = now;
    log(`Redis connection error (${name})`, error);
  });
  conn.on('ready', () => {
    lastLogged = 0;
  });
  return conn;
}

/** Redis TIME in ms (a cluster: its first master's), the clock every worker checks its own against. */
export async function serverTime(conn: RedisConnection): Promise<number> {
  const client = isCluster(conn) ? await conn.nodeClient(conn.masters[0]!) : conn;
  const [seconds, micros] = (await client.sendCommand(['TIME'])) as unknown as [string, string];
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/**
 * A connection to `target`, not yet connected (call `connectRedis`, or `.connect()`). `failFast`: a command
 * issued while the connection is down fails at once instead of waiting in node-redis's offline queue for the
 * reconnect, so a webhook answers 5xx (the carrier retries) instead of hanging through an outage; the scripts
 * re-send themselves for a few seconds (see scripts.ts).
 */
export function createRedisConnection(target: RedisTarget, failFast = false): RedisConnection {
  const socket = { reconnectStrategy: (retries: number) => Math.min(retries * 100, 2000) };
  if (target.clusterNodes?.length) {
    return createCluster({
      rootNodes: target.clusterNodes.map((url) => ({ url })),
      defaults: { socket, disableOfflineQueue: failFast },
    });
  }
  return createClient({ url: target.url, socket, disableOfflineQueue: failFast });
}

/** Thrown when Redis does not answer at start-up: the process must stop rather than claim to be serving. */
export class RedisUnavailableError extends Error {
  constructor(target: RedisTarget, cause: unknown) {
    super(
      `Redis is unreachable at ${describeTarget(target)}: ${cause instanceof Error ? cause.message : String(cause)}. ` +
        'Start Redis or fix the address, then start again.',
    );
    this.name = 'RedisUnavailableError';
  }
}

/**
 * Connects and PINGs within `timeoutMs`, or throws RedisUnavailableError (the connection is closed then). The
 * caller's error log is attached first, so a later outage is reported, not thrown at the process.
 */
export async function connectRedis(
  target: RedisTarget,
  log: RedisErrorLog,
  timeoutMs = 5000,
): Promise<RedisConnection> {
  const conn = watchErrors(createRedisConnection(target, true), describeTarget(target), log);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      (async () => {
        await conn.connect();
        await ping(conn);
      })(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return conn;
  } catch (error) {
    conn.destroy();
    throw new RedisUnavailableError(target, error);
  } finally {
    clearTimeout(timer);
  }
}

export function isCluster(conn: RedisConnection): conn is RedisClusterClient {
  return Array.isArray((conn as { masters?: unknown }).masters);
}

/**
 * Connects `conn` (a duplicate for pub/sub or blocking reads) or gives up after `timeoutMs`: node-redis's
 * connect() keeps retrying while the server is away, and a caller must not hang on it through an outage.
 */
export async function connectWithin(conn: RedisConnection, timeoutMs = 5000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      conn.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Redis connection not ready within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
  } catch (error) {
    if (conn.isOpen) conn.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** PING on a single node, or on every master of a cluster. */
export async function ping(conn: RedisConnection): Promise<string> {
  if (isCluster(conn)) {
    await Promise.all(conn.masters.map(async (master) => (await conn.nodeClient(master)).ping()));
    return 'PONG';
  }
  return conn.ping();
}

/**
 * A connection error (the command's reply may or may not have been produced) as opposed to an error Redis
 * answered (ErrorReply: the script failed or a key had the wrong type, which running again would not change).
 */
export function isConnectionError(error: unknown): boolean {
  return error instanceof Error && !(error instanceof ErrorReply);
}
