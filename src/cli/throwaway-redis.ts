/**
 * A Redis the tests (and the chaos run) can own: probe an address with a raw RESP PING, or start a
 * `redis-server` of our own on a free port in a temp dir and stop it afterwards. Only node's net and
 * child_process: no Redis client is needed to say PING.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const INSTALL_HINT =
  'No Redis answers and no redis-server binary is on PATH: install one (`apt-get install redis-server`, ' +
  'or `brew install redis`) or set AUTODIAL_TEST_REDIS_URL to a Redis the tests may use.';

/** True when a Redis at `url` answers PING within `timeoutMs` (a raw RESP exchange, no client library). */
export function redisAnswers(url: string, timeoutMs = 1_000): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname || '127.0.0.1', port: Number(port || 6379) });
    let reply = '';
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    // A password-protected Redis answers -NOAUTH: it is there, the URL's credentials are the client's business.
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
  });
}

/** A port nobody listens on right now (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export function redisServerBinary(): string | undefined {
  const found = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return found.status === 0 ? 'redis-server' : undefined;
}

export interface ThrowawayRedis {
  url: string;
  port: number;
  dir: string;
  /** The server process (for a chaos run that kills and restarts it). */
  process: ChildProcess;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

export interface ThrowawayRedisOptions {
  /** Append-only file on (durable across restarts in `dir`); default off: no persistence at all. */
  appendOnly?: boolean;
  /** With `appendOnly`: fsync every write (a crash loses nothing acknowledged) instead of once a second. */
  fsyncAlways?: boolean;
  /** Reuse this port and directory (a restart of the same server); default a free port and a new temp dir. */
  port?: number;
  dir?: string;
}

/** Starts `redis-server` on 127.0.0.1 and resolves once it answers PING; throws `INSTALL_HINT` if there is none. */
export async function throwawayRedis(options: ThrowawayRedisOptions = {}): Promise<ThrowawayRedis> {
  const binary = redisServerBinary();
  if (!binary) throw new Error(INSTALL_HINT);
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'autodial-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  args.push('--appendonly', options.appendOnly ? 'yes' : 'no');
  if (options.appendOnly) args.push('--appendfsync', options.fsyncAlways ? 'always' : 'everysec');
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `redis://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers(url, 200))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
      throw new Error(`redis-server on port ${port} did not start: ${stderr.trim() || 'no answer to PING'}`);
    }
    await sleep(50);
  }
  // Keep the test run's exit unaffected by the server's lifetime.
  child.unref();

  return {
    url,
    port,
    dir,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(5_000, undefined, { ref: false })]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
