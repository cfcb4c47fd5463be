import { describe, it, expect } from '@jest/globals';
import { redisPingCheck, runReadiness } from '../../src/observability/health.js';

describe('runReadiness', () => {
  it('is ready when every check passes', async () => {
    const report = await runReadiness({ redis: async () => 'PONG', crm: async () => undefined });
    expect(report).toEqual({
      ok: true,
      checks: [
        { name: 'redis', ok: true },
        { name: 'crm', ok: true },
      ],
    });
  });

  it('names the failing check and why', async () => {
    const report = await runReadiness({
      redis: redisPingCheck({ ping: async () => 'PONG' }),
      crm: async () => {
        throw new Error('token expired');
      },
    });
    expect(report.ok).toBe(false);
    expect(report.checks).toContainEqual({ name: 'crm', ok: false, error: 'token expired' });
    expect(report.checks).toContainEqual({ name: 'redis', ok: true });
  });

  it('fails a check that never answers instead of hanging', async () => {
    const report = await runReadiness({ redis: () => new Promise(() => {}) }, { timeoutMs: 10 });
    expect(report).toEqual({
      ok: false,
      checks: [{ name: 'redis', ok: false, error: 'redis did not answer within 10 ms' }],
    });
  });

  it('rejects a wrong PING answer', async () => {
    const report = await runReadiness({ redis: redisPingCheck({ ping: async () => 'LOADING' }) });
    expect(report.checks[0]).toEqual({ name: 'redis', ok: false, error: 'unexpected PING answer: LOADING' });
  });
});
