/**
 * OAuth tokens: sealed at rest with AES-256-GCM, refreshed before expiry, and refreshed once when two
 * independent token managers (two "processes", each with its own Redis connection) need it at the same time.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import nock from 'nock';
import { realClock } from '../../../src/shared/clock.js';
import { HubSpotKeys } from '../../../src/crm/hubspot/keys.js';
import type { RedisClient } from '../../../src/crm/hubspot/redis.js';
import { TokenCipher, TokenEncryptionKeySchema } from '../../../src/crm/hubspot/token-crypto.js';
import { OAuthTokenManager, PortalNotInstalledError, TokenVault } from '../../../src/crm/hubspot/tokens.js';
import { HUBSPOT, PORTAL, deleteByPrefix, testRedis, uniquePrefix } from './helpers.js';

const key = randomBytes(32);
const cipher = new TokenCipher(key);
let redisA: RedisClient;
let redisB: RedisClient;
const prefix = uniquePrefix('tokens');

beforeAll(async () => {
  nock.disableNetConnect();
  redisA = await testRedis();
  redisB = await testRedis();
});
afterEach(() => nock.cleanAll());
afterAll(async () => {
  // nock patches Node's shared http module: give the network back to the next test file of this worker.
  nock.cleanAll();
  nock.enableNetConnect();
  await deleteByPrefix(redisA, prefix);
  await redisA.quit();
  await redisB.quit();
});

describe('TokenEncryptionKeySchema', () => {
  it('accepts 32 bytes as base64 or hex and refuses anything else, saying what it expects', () => {
    expect(TokenEncryptionKeySchema.parse(key.toString('base64')).equals(key)).toBe(true);
    expect(TokenEncryptionKeySchema.parse(key.toString('hex')).equals(key)).toBe(true);
    const short = TokenEncryptionKeySchema.safeParse(randomBytes(16).toString('base64'));
    expect(short.success).toBe(false);
    expect(short.error?.issues[0]?.message).toMatch(/32 random bytes/);
    expect(TokenEncryptionKeySchema.safeParse('not a key').success).toBe(false);
  });
});

describe('TokenCipher', () => {
  it('round-trips, never stores the plaintext, and rejects tampering or another portal', () => {
    const sealed = cipher.encrypt('secret-access-token', PORTAL);
    expect(sealed).not.toContain('secret');
    expect(cipher.decrypt(sealed, PORTAL)).toBe('secret-access-token');
    expect(cipher.encrypt('secret-access-token', PORTAL)).not.toBe(sealed); // fresh IV
    expect(() => cipher.decrypt(sealed, '999')).toThrow();
    const parts = sealed.split('.');
    parts[3] = Buffer.from('tampered!').toString('base64');
    expect(() => cipher.decrypt(parts.join('.'), PORTAL)).toThrow();
    expect(() => new TokenCipher(randomBytes(32)).decrypt(sealed, PORTAL)).toThrow();
  });
});

describe('OAuthTokenManager', () => {
  const manager = (redis: RedisClient, pollMs = 20) =>
    new OAuthTokenManager({
      redis,
      keyPrefix: prefix,
      vault: new TokenVault(redis, prefix, cipher),
      clientId: 'client-id',
      clientSecret: 'client-secret',
      clock: realClock,
      pollMs,
    });

  it('stores tokens encrypted in Redis and returns a fresh one without any request', async () => {
    const vault = new TokenVault(redisA, prefix, cipher);
    await vault.save(PORTAL, {
      accessToken: 'fresh-token',
      refreshToken: 'refresh-secret',
      expiresAt: Date.now() + 3_600_000,
      scopes: [],
    });
    const raw = await redisA.get(new HubSpotKeys(prefix, PORTAL).tokens());
    expect(raw).toBeTruthy();
    expect(raw).not.toContain('fresh-token');
    expect(raw).not.toContain('refresh-secret');
    await expect(manager(redisA).accessToken(PORTAL)).resolves.toBe('fresh-token');
    expect(await vault.portals()).toContain(PORTAL);
  });

  it('refreshes exactly once when two processes race for an expiring token', async () => {
    const vault = new TokenVault(redisA, prefix, cipher);
    await vault.save(PORTAL, {
      accessToken: 'old',
      refreshToken: 'r1',
      expiresAt: Date.now() + 1000,
      scopes: [],
    });
    const bodies: string[] = [];
    const scope = nock(HUBSPOT)
      .post('/oauth/v1/token', (body: unknown) => {
        bodies.push(
          typeof body === 'string' ? body : new URLSearchParams(body as Record<string, string>).toString(),
        );
        return true;
      })
      .delay(150) // the refresh takes a while: the other process must wait for it, not start its own
      .reply(200, { access_token: 'new-token', refresh_token: 'r2', expires_in: 1800, token_type: 'bearer' });
    const a = manager(redisA);
    const b = manager(redisB);
    const tokens = await Promise.all([
      a.accessToken(PORTAL),
      b.accessToken(PORTAL),
      a.accessToken(PORTAL),
      b.accessToken(PORTAL),
    ]);
    expect(tokens).toEqual(['new-token', 'new-token', 'new-token', 'new-token']);
    expect(scope.isDone()).toBe(true);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toContain('grant_type=refresh_token');
    expect(bodies[0]).toContain('refresh_token=r1');
    expect(a.refreshes + b.refreshes).toBe(1);
    const stored = await vault.load(PORTAL);
    expect(stored).toMatchObject({ accessToken: 'new-token', refreshToken: 'r2' });
    expect(await redisA.get(new HubSpotKeys(prefix, PORTAL).refreshLock())).toBeNull();
  });

  it('forgets a portal on uninstall', async () => {
    const vault = new TokenVault(redisA, prefix, cipher);
    await vault.save('777', {
      accessToken: 'x',
      refreshToken: 'y',
      expiresAt: Date.now() + 3_600_000,
      scopes: [],
    });
    await vault.remove('777');
    await expect(manager(redisA).accessToken('777')).rejects.toBeInstanceOf(PortalNotInstalledError);
    expect(await vault.portals()).not.toContain('777');
  });
});
