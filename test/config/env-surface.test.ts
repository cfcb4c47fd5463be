/** Start-up refuses what it should (issue 10 finding 6): each message names the variable and what it expects. */
import { describe, expect, it } from '@jest/globals';
import { ConfigError, listenHost, loadEnv } from '../../src/config/env.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadEnv(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

const TOKEN = 'm'.repeat(32);

describe('loadEnv refuses', () => {
  it.each([
    ['an empty PORT', { PORT: '' }, /^PORT: expected a port number/],
    ['PORT=0x10', { PORT: '0x10' }, /^PORT: expected a port number/],
    ['PORT=1e3', { PORT: '1e3' }, /^PORT: expected a port number/],
    ['PORT=70000', { PORT: '70000' }, /^PORT: expected a port number 0-65535/],
    [
      'an http:// public URL in production',
      { NODE_ENV: 'production', PUBLIC_BASE_URL: 'http://dialer.example.com', METRICS_TOKEN: TOKEN },
      /^PUBLIC_BASE_URL: expected an https:\/\/ URL when NODE_ENV=production/,
    ],
    [
      'a javascript: URL',
      { PUBLIC_BASE_URL: 'javascript:alert(1)' },
      /^PUBLIC_BASE_URL: expected the public https URL/,
    ],
    [
      'a public URL with credentials',
      { PUBLIC_BASE_URL: 'https://user:pw@dialer.example.com' },
      /^PUBLIC_BASE_URL: expected a URL without credentials/,
    ],
    [
      'a public URL with a query',
      { PUBLIC_BASE_URL: 'https://dialer.example.com/?x=1' },
      /^PUBLIC_BASE_URL: expected a URL without a query/,
    ],
    [
      'production without METRICS_TOKEN',
      { NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://dialer.example.com' },
      /^METRICS_TOKEN: required when NODE_ENV=production/,
    ],
    ['a short METRICS_TOKEN', { METRICS_TOKEN: 'short' }, /^METRICS_TOKEN: expected a token/],
    ['TRUST_PROXY=all', { TRUST_PROXY: 'true' }, /^TRUST_PROXY: expected the number of proxy hops/],
    [
      'an open monitor on the network',
      { HOST: '0.0.0.0' },
      /^HOST: expected 127\.0\.0\.1 .* monitor would be open/,
    ],
    [
      'half a sign-in configuration',
      { SESSION_SECRET: 's'.repeat(40) },
      /^HUBSPOT_CLIENT_ID: required for the monitor sign-in/,
    ],
  ])('%s', (_what, env, expected) => {
    expect(problemsOf(env)).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
  });

  it('keeps every "required when TELEPHONY=twilio" message when other variables are bad too', () => {
    const problems = problemsOf({ TELEPHONY: 'twilio', PORT: '0x10', LOG_LEVEL: 'loud' });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PORT: /),
        expect.stringMatching(/^LOG_LEVEL: /),
        'TWILIO_ACCOUNT_SID: required when TELEPHONY=twilio',
        'TWILIO_AUTH_TOKEN: required when TELEPHONY=twilio',
        expect.stringMatching(/^PUBLIC_BASE_URL: required when TELEPHONY=twilio/),
      ]),
    );
  });

  it('accepts a complete production setup and listens on every interface there, on loopback elsewhere', () => {
    const env = loadEnv({
      NODE_ENV: 'production',
      PUBLIC_BASE_URL: 'https://dialer.example.com',
      METRICS_TOKEN: TOKEN,
      TRUST_PROXY: '1',
      PORT: '8080',
    });
    expect(env.PORT).toBe(8080);
    expect(env.TRUST_PROXY).toBe(1);
    expect(listenHost(env)).toBe('0.0.0.0');
    expect(listenHost(loadEnv({}))).toBe('127.0.0.1');
    expect(loadEnv({ PORT: '0' }).PORT).toBe(0);
  });
});
