/**
 * The throwaway Redis the test setup (and the chaos run) relies on: the PING probe tells a live Redis from a dead
 * port, a started server answers and keeps AOF data across a restart on its own port, and stop removes it all.
 */
import { describe, it, expect } from '@jest/globals';
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { freePort, redisAnswers, throwawayRedis } from '../../src/cli/throwaway-redis.js';
import { REDIS_URL } from '../engine/redis-helpers.js';

/** One raw RESP command (inline form); its simple reply line, or a bulk reply's value. */
function send(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    socket.on('error', reject);
    socket.on('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      const lines = reply.split('\r\n');
      const bulk = reply.startsWith('$') && !reply.startsWith('$-1');
      if (lines.length > (bulk ? 2 : 1)) {
        socket.destroy();
        resolve(bulk ? lines[1]! : lines[0]!);
      }
    });
  });
}

describe('throwaway redis', () => {
  it('the probe says yes to the tests’ Redis and no to a dead port', async () => {
    await expect(redisAnswers(REDIS_URL)).resolves.toBe(true);
    await expect(redisAnswers(`redis://127.0.0.1:${await freePort()}`)).resolves.toBe(false);
  });

  it('starts a server of its own, keeps AOF data across a restart on the same port, and stops cleanly', async () => {
    const first = await throwawayRedis({ appendOnly: true });
    let second: Awaited<ReturnType<typeof throwawayRedis>> | undefined;
    try {
      await expect(redisAnswers(first.url)).resolves.toBe(true);
      await expect(send(first.port, 'SET chaos:survives yes')).resolves.toBe('+OK');
      await send(first.port, 'BGREWRITEAOF');
      first.process.kill('SIGTERM'); // a clean shutdown flushes the AOF
      await new Promise((resolve) => first.process.once('exit', resolve));
      second = await throwawayRedis({ appendOnly: true, port: first.port, dir: first.dir });
      await expect(send(second.port, 'GET chaos:survives')).resolves.toBe('yes');
    } finally {
      await second?.stop();
      await first.stop();
    }
    await expect(redisAnswers(first.url)).resolves.toBe(false);
    expect(existsSync(first.dir)).toBe(false);
  });
});
