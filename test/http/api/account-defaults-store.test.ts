/** Account defaults saved through one process are seen by another and after a restart (Redis, per-portal keys). */
import { describe, it, expect, afterAll } from '@jest/globals';
import { connectTestRedis, deleteByPrefix, uniquePrefix } from '../../engine/redis-helpers.js';
import { AccountDefaultsSchema } from '../../../src/domain/account-defaults.js';
import { RedisAccountDefaults } from '../../../src/http/api/stores/redis-account-defaults.js';

describe('RedisAccountDefaults', () => {
  const prefix = uniquePrefix('acct');
  const redisP = connectTestRedis();
  afterAll(async () => {
    const redis = await redisP;
    await deleteByPrefix(redis, prefix);
    await redis.close();
  });

  it('persists per portal under the portal hash tag and survives a new instance', async () => {
    const redis = await redisP;
    const initial = { timeZone: 'America/New_York' };
    const first = new RedisAccountDefaults(redis, prefix, initial);
    const saved = AccountDefaultsSchema.parse({
      timeZone: 'Europe/London',
      callerIds: ['+442071234567'],
      campaignTeams: ['42'],
    });
    await first.put('111', saved);
    expect(first.settingsOf('111')).toEqual(saved);
    expect(await redis.get(`${prefix}:{p:111}:account`)).not.toBeNull();

    // another process (or this one after a restart): defaults until it reads, then the saved value
    const second = new RedisAccountDefaults(redis, prefix, initial);
    expect(second.settingsOf('111').timeZone).toBe('America/New_York');
    expect(await second.get('111')).toEqual(saved);
    expect(second.settingsOf('111')).toEqual(saved);

    // another portal keeps its own (the initial) defaults
    expect((await second.get('222')).timeZone).toBe('America/New_York');
    expect((await second.get('222')).campaignTeams).toEqual([]);
  });
});
