/**
 * The HTTP surface section of `npm run bench` (BENCH_ONLY=surface):
 *  - fuzz_requests / fuzz_5xx / fuzz_no_answer: 3,000 seeded fuzz requests over every route (surface-fuzz.ts)
 *    against the composed backend with the Twilio webhooks mounted;
 *  - metrics_series_after_fuzz: Prometheus series after that fuzz (labels are route templates, so bounded by
 *    the routes, not by the paths sent);
 *  - sse_streams_per_redis_connection: 200 live monitor streams open against a backend on a private Redis,
 *    divided by the Redis connections they added (all streams of a process should share one);
 *  - sse_redis_clients_left_after_close: Redis clients above the no-stream baseline once they all closed.
 * The private redis-server runs on a free port in a temp dir so its client count is ours alone.
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnv } from '../config/env.js';
import { composeBackend } from '../app/compose.js';
import { createLogger } from '../observability/logger.js';
import { runSurfaceFuzz, seriesCount } from './surface-fuzz.js';

const METRICS_TOKEN = 'bench-metrics-token-0123456789';
const PUBLIC = 'https://dialer.example.com';
const AUTH_TOKEN = 'b'.repeat(32);

export async function surfaceSection(results: Record<string, number>): Promise<void> {
  await fuzzFigures(results);
  await sseFigures(results);
}

async function fuzzFigures(results: Record<string, number>) {
  console.log('surface fuzz: 3,000 seeded requests over every route ...');
  const backend = await composeBackend(
    loadEnv({
      TELEPHONY: 'twilio',
      TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      PUBLIC_BASE_URL: PUBLIC,
      METRICS_TOKEN,
    }),
    { logger: createLogger({ level: 'silent' }) },
  );
  try {
    await backend.start();
    const port = await backend.listen(0, '127.0.0.1');
    const outcome = await runSurfaceFuzz(
      { port, host: '127.0.0.1', publicBaseUrl: PUBLIC, twilioAuthToken: AUTH_TOKEN },
      { count: 3000, seed: 20261204, concurrency: 8 },
    );
    results.fuzz_requests = outcome.requests;
    results.fuzz_5xx = outcome.status5xx;
    results.fuzz_no_answer = outcome.noAnswer;
    if (outcome.failures.length) console.log('fuzz failures:', outcome.failures);
    const metrics = await backend.metrics.registry.metrics();
    results.metrics_series_after_fuzz = seriesCount(metrics);
  } finally {
    await backend.close();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const port = (probe.address() as { port: number }).port;
      probe.close(() => resolve(port));
    });
  });
}

function redisClients(port: number): number {
  const info = execFileSync('redis-cli', ['-p', String(port), 'INFO', 'clients'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  // redis-cli's own connection is counted too: take it out.
  return Number(/connected_clients:(\d+)/.exec(info)?.[1] ?? NaN) - 1;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Opens one monitor stream from a given loopback address (clients are told apart by address). */
function openStream(port: number, localAddress: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path: '/monitor/events?after=0', localAddress }, resolve)
      .on('error', reject)
      .end();
  });
}

/** A redis-server of our own on a free port (its client count is ours alone); stop() removes it. */
export async function startPrivateRedis(): Promise<{
  port: number;
  clients(): number;
  stop(): Promise<void>;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'autodial-private-redis-'));
  const port = await freePort();
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir],
    {
      stdio: 'ignore',
    },
  );
  for (let i = 0; ; i++) {
    try {
      redisClients(port);
      break;
    } catch (error) {
      if (i >= 50) throw error;
      await sleep(100);
    }
  }
  return {
    port,
    clients: () => redisClients(port),
    async stop() {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Opens `count` monitor streams, ten per loopback address (the per-client cap is 10), from 127.0.0.<first> on.
 */
export function openMonitorStreams(port: number, count: number, first = 2): Promise<IncomingMessage[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) => openStream(port, `127.0.0.${first + Math.floor(i / 10)}`)),
  );
}

async function sseFigures(results: Record<string, number>) {
  const streams = 200;
  console.log(`monitor streams: ${streams} live streams on a private Redis ...`);
  const redis = await startPrivateRedis();
  try {
    const backend = await composeBackend(
      loadEnv({ REDIS_URL: `redis://127.0.0.1:${redis.port}`, REDIS_KEY_PREFIX: 'bench-surface' }),
      { logger: createLogger({ level: 'silent' }) },
    );
    try {
      const port = await backend.listen(0, '127.0.0.1');
      await sleep(1500);
      const before = redis.clients();
      const open = await openMonitorStreams(port, streams);
      const refused = open.filter((res) => res.statusCode !== 200).length;
      if (refused) console.log(`${refused} streams were refused`);
      await sleep(1500);
      const added = redis.clients() - before;
      results.sse_streams_open = streams - refused;
      results.sse_redis_connections_added = added;
      results.sse_streams_per_redis_connection = (streams - refused) / Math.max(1, added);
      for (const res of open) res.destroy();
      await sleep(2500);
      results.sse_redis_clients_left_after_close = redis.clients() - before;
    } finally {
      await backend.close();
    }
  } finally {
    await redis.stop();
  }
}
