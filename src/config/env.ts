/**
 * Process configuration, read from the environment through one zod schema. A missing or bad variable stops
 * start-up with a message that names it and says what is expected.
 */
import { z } from 'zod';
import { E164Schema, IanaZoneSchema } from '../domain/settings.js';
import { DEFAULT_ACCOUNT_LIMITS, DEFAULT_CALLER_ID_LIMITS } from '../shared/account-limits.js';
import { TokenEncryptionKeySchema } from '../crm/hubspot/token-crypto.js';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  /** Digits only: an empty value or `0x10` would otherwise read as "any free port" or 16. */
  PORT: z
    .string()
    .regex(/^\d{1,5}$/, 'expected a port number 0-65535 written in decimal digits (0 = any free port)')
    .transform(Number)
    .refine((n) => n <= 65535, 'expected a port number 0-65535')
    .default(3000),
  /**
   * Address to listen on. Outside production the default is 127.0.0.1: the monitor is open without sign-in
   * there, so it must not be reachable from the network.
   */
  HOST: z
    .string()
    .regex(/^[0-9a-fA-F:.]+$|^localhost$/, 'expected an IP address to listen on, e.g. 127.0.0.1 or 0.0.0.0')
    .optional(),
  /** Proxy hops in front of the backend whose X-Forwarded-For entries are trusted (0 = none). */
  TRUST_PROXY: z
    .string()
    .regex(/^\d{1,2}$/, 'expected the number of proxy hops in front of the backend, e.g. 1 (0 = none)')
    .transform(Number)
    .default(0),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Public base URL that Twilio and HubSpot call back (what webhook signatures are computed over). */
  PUBLIC_BASE_URL: z
    .url({
      protocol: /^https?$/,
      message: 'expected the public https URL of this backend, e.g. https://dialer.example.com',
    })
    .refine((u) => {
      const url = new URL(u);
      return !url.username && !url.password;
    }, 'expected a URL without credentials (user:password@)')
    .refine((u) => {
      const url = new URL(u);
      return !url.search && !url.hash && !u.includes('?') && !u.includes('#');
    }, 'expected a URL without a query or fragment, e.g. https://dialer.example.com')
    .optional(),
  /** Redis connection; absent means the embedded in-process store (single process only). */
  REDIS_URL: z
    .url({ protocol: /^rediss?$/, message: 'expected redis://host:port or rediss://host:port' })
    .optional(),
  /**
   * Redis Cluster instead of a single Redis: comma-separated seed nodes (`redis://host:port,...`; a few are
   * enough, the client discovers the rest). Every key of a portal shares one slot (its hash tag).
   */
  REDIS_CLUSTER_NODES: z
    .string()
    .transform((raw) =>
      raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(
      z
        .array(
          z.url({
            protocol: /^rediss?$/,
            message: 'expected a comma-separated list of redis://host:port (or rediss://) seed nodes',
          }),
        )
        .min(1, 'expected at least one redis://host:port seed node'),
    )
    .optional(),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9:_-]*$/, 'letters, digits, :, _ and - only')
    .default('ad'),
  /** twilio | simulator */
  TELEPHONY: z.enum(['twilio', 'simulator']).default('simulator'),
  TWILIO_ACCOUNT_SID: z
    .string()
    .regex(/^AC[0-9a-fA-F]{32}$/, 'expected AC followed by 32 hex digits')
    .optional(),
  TWILIO_AUTH_TOKEN: z.string().min(16, 'expected the Twilio auth token').optional(),
  /** hubspot | local */
  CRM: z.enum(['hubspot', 'local']).default('local'),
  HUBSPOT_ACCESS_TOKEN: z.string().min(10, 'expected a HubSpot private app or OAuth access token').optional(),
  /** The HubSpot app's OAuth client id: the app install (many portals, see crm/hubspot) and monitor sign-in. */
  HUBSPOT_CLIENT_ID: z
    .string()
    .regex(/^[0-9a-zA-Z-]{8,64}$/, 'expected the HubSpot app client id (a UUID)')
    .optional(),
  HUBSPOT_CLIENT_SECRET: z.string().min(10, 'expected the HubSpot app client secret').optional(),
  /** Encrypts the monitor's session cookie (iron-session); 32 characters or more. */
  SESSION_SECRET: z
    .string()
    .min(32, 'expected a random secret of at least 32 characters for the session cookie')
    .optional(),
  HUBSPOT_PORTAL_ID: z.string().regex(/^\d+$/, 'expected the numeric HubSpot portal id').default('0'),
  /** AES-256-GCM key for OAuth tokens at rest: 32 bytes, base64 or hex (`openssl rand -base64 32`). */
  TOKEN_ENCRYPTION_KEY: TokenEncryptionKeySchema.optional(),
  /** Requests per portal per rolling 10 s (HubSpot's limit for the app; shared by every process). */
  HUBSPOT_TEN_SECOND_BUDGET: z.coerce
    .number({ message: 'expected requests per 10 seconds, an integer such as 100' })
    .int('expected a whole number of requests')
    .min(2, 'expected at least 2 requests per 10 seconds')
    .max(10_000)
    .default(100),
  /** Of that budget, kept for reps' interactive requests (cards); bulk work never uses it. */
  HUBSPOT_INTERACTIVE_RESERVE: z.coerce
    .number({ message: 'expected a number of requests, such as 20' })
    .int('expected a whole number of requests')
    .min(0)
    .default(20),
  /** Requests per portal per day. */
  HUBSPOT_DAILY_BUDGET: z.coerce
    .number({ message: 'expected requests per day, an integer such as 250000' })
    .int('expected a whole number of requests')
    .min(100, 'expected at least 100 requests per day')
    .default(250_000),
  /** Caller IDs of workflow "Place a call" steps that name none (comma-separated E.164). */
  HUBSPOT_WORKFLOW_CALLER_IDS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(E164Schema)),
  METRICS_ENABLED: bool.default(true),
  /** Bearer token that /metrics requires; without it /metrics is off. Required in production. */
  METRICS_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{24,256}$/, 'expected a token of 24 or more printable characters without spaces')
    .optional(),
  /** Twilio account limits: calls per second and concurrent calls (the pacer's account level). */
  ACCOUNT_CPS: z.coerce
    .number({ message: 'expected the Twilio account calls per second, a number such as 1' })
    .positive('expected a positive number of calls per second')
    .max(1000, 'expected at most 1000 calls per second')
    .default(DEFAULT_ACCOUNT_LIMITS.callsPerSecond),
  ACCOUNT_MAX_CONCURRENT: z.coerce
    .number({ message: 'expected the most concurrent calls of the account, an integer such as 100' })
    .int('expected a whole number of concurrent calls')
    .min(1, 'expected at least 1 concurrent call')
    .max(100_000)
    .default(DEFAULT_ACCOUNT_LIMITS.maxConcurrentCalls),
  /** Calls per second per caller-ID number (carriers flag numbers that dial faster). */
  CALLER_ID_CPS: z.coerce
    .number({ message: 'expected calls per second per caller ID, a number such as 1' })
    .positive('expected a positive number of calls per second')
    .max(1000, 'expected at most 1000 calls per second')
    .default(DEFAULT_CALLER_ID_LIMITS.callsPerSecond),
  /** The account's zone: fallback for contacts without one, and the zone of scheduled starts. */
  ACCOUNT_TIME_ZONE: IanaZoneSchema.default('America/New_York'),
  /** Region used to read national numbers (CSV rows without +country code). */
  DEFAULT_REGION: z
    .string()
    .regex(/^[A-Z]{2}$/, 'expected an ISO 3166-1 alpha-2 country code such as US')
    .default('US'),
});
export type Env = z.infer<typeof EnvSchema>;

/**
 * Rules between variables. They run on the raw values even when single variables are malformed, so one
 * start-up lists every problem at once (a zod refinement on the object is skipped when any field fails).
 */
function crossFieldProblems(raw: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const present = (key: string) => raw[key] !== undefined && raw[key] !== '';
  const need = (key: string, why: string) => {
    if (!present(key)) problems.push(`${key}: required ${why}`);
  };
  const production = raw.NODE_ENV === 'production';
  if (raw.TELEPHONY === 'twilio') {
    need('TWILIO_ACCOUNT_SID', 'when TELEPHONY=twilio');
    need('TWILIO_AUTH_TOKEN', 'when TELEPHONY=twilio');
    need('PUBLIC_BASE_URL', 'when TELEPHONY=twilio (Twilio calls it back and signs that URL)');
  }
  if (present('REDIS_URL') && present('REDIS_CLUSTER_NODES')) {
    problems.push(
      'REDIS_CLUSTER_NODES: set either REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a Redis Cluster), not both',
    );
  }
  if (raw.CRM === 'hubspot') {
    need('HUBSPOT_CLIENT_SECRET', 'when CRM=hubspot (webhook signatures)');
    need(
      'PUBLIC_BASE_URL',
      'when CRM=hubspot (HubSpot signs the webhook and workflow-action URLs against it)',
    );
    need('REDIS_URL', 'when CRM=hubspot (tokens and the per-portal rate limiter are shared through Redis)');
    if (present('HUBSPOT_ACCESS_TOKEN')) {
      // Static-token mode: one portal, a private app's token.
      if ((raw.HUBSPOT_PORTAL_ID ?? '0') === '0') {
        problems.push(
          'HUBSPOT_PORTAL_ID: required with HUBSPOT_ACCESS_TOKEN (the portal the private app belongs to)',
        );
      }
    } else {
      const why = 'when CRM=hubspot without HUBSPOT_ACCESS_TOKEN (OAuth app, many portals)';
      need('HUBSPOT_CLIENT_ID', why);
      need('TOKEN_ENCRYPTION_KEY', why);
    }
    const budget = Number(raw.HUBSPOT_TEN_SECOND_BUDGET ?? 100);
    const reserve = Number(raw.HUBSPOT_INTERACTIVE_RESERVE ?? 20);
    if (Number.isFinite(budget) && Number.isFinite(reserve) && reserve >= budget) {
      problems.push(
        'HUBSPOT_INTERACTIVE_RESERVE: must be below HUBSPOT_TEN_SECOND_BUDGET (bulk work needs some of the budget)',
      );
    }
  }
  if (production) {
    need('PUBLIC_BASE_URL', 'when NODE_ENV=production (the Host header is checked against it)');
    if (present('PUBLIC_BASE_URL') && !/^https:\/\//i.test(raw.PUBLIC_BASE_URL!)) {
      problems.push('PUBLIC_BASE_URL: expected an https:// URL when NODE_ENV=production');
    }
    const metricsOn = !['false', '0', 'no'].includes(raw.METRICS_ENABLED ?? 'true');
    if (metricsOn) need('METRICS_TOKEN', 'when NODE_ENV=production (or set METRICS_ENABLED=false)');
  }
  // Monitor sign-in needs all three, or none (then the monitor is open on 127.0.0.1, or off in production).
  const signIn = ['HUBSPOT_CLIENT_ID', 'HUBSPOT_CLIENT_SECRET', 'SESSION_SECRET'] as const;
  if (present('SESSION_SECRET')) {
    for (const key of signIn) need(key, 'for the monitor sign-in (SESSION_SECRET is set)');
    need('PUBLIC_BASE_URL', 'for the monitor sign-in (HubSpot redirects back to it)');
  }
  const host = raw.HOST;
  if (!production && host && !isLoopback(host) && !present('SESSION_SECRET')) {
    problems.push(
      `HOST: expected 127.0.0.1 (or ::1) outside production without monitor sign-in: the monitor would be open to the network at ${host}; set SESSION_SECRET, HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET for sign-in`,
    );
  }
  return problems;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The address to listen on: HOST, else 0.0.0.0 in production and 127.0.0.1 everywhere else. */
export function listenHost(env: Env): string {
  return env.HOST ?? (env.NODE_ENV === 'production' ? '0.0.0.0' : '127.0.0.1');
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws a ConfigError naming every bad variable and what it expects. */
export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  const result = EnvSchema.safeParse(source);
  const problems = result.success
    ? []
    : result.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`);
  for (const problem of crossFieldProblems(source)) if (!problems.includes(problem)) problems.push(problem);
  if (result.success && problems.length === 0) return result.data;
  throw new ConfigError(problems);
}
