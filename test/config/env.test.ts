import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadEnv } from '../../src/config/env.js';

describe('loadEnv', () => {
  it('runs on embedded defaults with an empty environment', () => {
    const env = loadEnv({});
    expect(env.TELEPHONY).toBe('simulator');
    expect(env.CRM).toBe('local');
    expect(env.REDIS_URL).toBeUndefined();
    expect(env.PORT).toBe(3000);
  });

  it('names each bad variable and what it expects', () => {
    expect(() => loadEnv({ PORT: 'eighty', REDIS_URL: 'http://x' })).toThrow(ConfigError);
    try {
      loadEnv({ PORT: 'eighty', REDIS_URL: 'http://x' });
    } catch (e) {
      const problems = (e as ConfigError).problems.join('\n');
      expect(problems).toMatch(/^PORT: /m);
      expect(problems).toMatch(/^REDIS_URL: expected redis:\/\//m);
    }
  });

  it('requires Twilio credentials and a public URL when TELEPHONY=twilio', () => {
    try {
      loadEnv({ TELEPHONY: 'twilio' });
      throw new Error('expected a ConfigError');
    } catch (e) {
      const problems = (e as ConfigError).problems;
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^TWILIO_ACCOUNT_SID: required/),
          expect.stringMatching(/^TWILIO_AUTH_TOKEN: required/),
          expect.stringMatching(/^PUBLIC_BASE_URL: required/),
        ]),
      );
    }
  });
});
