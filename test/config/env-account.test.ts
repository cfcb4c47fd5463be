import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadEnv } from '../../src/config/env.js';

function problemsOf(source: Record<string, string>): string[] {
  try {
    loadEnv(source);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('account limits and settings from the environment', () => {
  it('defaults to Twilio trial-account limits, New York and the US', () => {
    const env = loadEnv({});
    expect(env.ACCOUNT_CPS).toBe(1);
    expect(env.ACCOUNT_MAX_CONCURRENT).toBe(100);
    expect(env.CALLER_ID_CPS).toBe(1);
    expect(env.ACCOUNT_TIME_ZONE).toBe('America/New_York');
    expect(env.DEFAULT_REGION).toBe('US');
  });

  it('reads numbers and names from strings', () => {
    const env = loadEnv({
      ACCOUNT_CPS: '30',
      ACCOUNT_MAX_CONCURRENT: '250',
      CALLER_ID_CPS: '0.5',
      ACCOUNT_TIME_ZONE: 'America/Los_Angeles',
      DEFAULT_REGION: 'CA',
    });
    expect(env).toMatchObject({
      ACCOUNT_CPS: 30,
      ACCOUNT_MAX_CONCURRENT: 250,
      CALLER_ID_CPS: 0.5,
      ACCOUNT_TIME_ZONE: 'America/Los_Angeles',
      DEFAULT_REGION: 'CA',
    });
  });

  it('names each bad variable and says what it expects', () => {
    const problems = problemsOf({
      ACCOUNT_CPS: '0',
      ACCOUNT_MAX_CONCURRENT: '2.5',
      CALLER_ID_CPS: 'fast',
      ACCOUNT_TIME_ZONE: 'Mars/Olympus',
      DEFAULT_REGION: 'usa',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ACCOUNT_CPS: expected a positive number/),
        expect.stringMatching(/^ACCOUNT_MAX_CONCURRENT: expected a whole number/),
        expect.stringMatching(/^CALLER_ID_CPS: expected/),
        expect.stringMatching(/^ACCOUNT_TIME_ZONE: expected an IANA time zone/),
        expect.stringMatching(/^DEFAULT_REGION: expected an ISO 3166-1/),
      ]),
    );
  });
});
