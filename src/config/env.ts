/**
 * Process configuration, read from the environment through one zod schema. A missing or bad variable stops
 * start-up with a message that names it and says what is expected.
 */
import { z } from 'zod';
import { E164Schema, IanaZoneSchema } from '../domain/settings.js';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const EnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Public base URL that Twilio and HubSpot call back (what webhook signatures are computed over). */
    PUBLIC_BASE_URL: z
      .url({ message: 'expected the public https URL of this backend, e.g. https://dialer.example.com' })
      .optional(),
    /** Redis connection; absent means the embedded in-process store (single process only). */
    REDIS_URL: z
      .url({ protocol: /^rediss?$/, message: 'expected redis://host:port or rediss://host:port' })
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
    HUBSPOT_ACCESS_TOKEN: z
      .string()
      .min(10, 'expected a HubSpot private app or OAuth access token')
      .optional(),
    HUBSPOT_CLIENT_SECRET: z.string().min(10, 'expected the HubSpot app client secret').optional(),
    HUBSPOT_PORTAL_ID: z.string().regex(/^\d+$/, 'expected the numeric HubSpot portal id').default('0'),
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
    /** Twilio account limits: calls per second and concurrent calls (the pacer's account level). */
    ACCOUNT_CPS: z.coerce
      .number({ message: 'expected the Twilio account calls per second, a number such as 1' })
      .positive('expected a positive number of calls per second')
      .max(1000, 'expected at most 1000 calls per second')
      .default(1),
    ACCOUNT_MAX_CONCURRENT: z.coerce
      .number({ message: 'expected the most concurrent calls of the account, an integer such as 100' })
      .int('expected a whole number of concurrent calls')
      .min(1, 'expected at least 1 concurrent call')
      .max(100_000)
      .default(100),
    /** Calls per second per caller-ID number (carriers flag numbers that dial faster). */
    CALLER_ID_CPS: z.coerce
      .number({ message: 'expected calls per second per caller ID, a number such as 1' })
      .positive('expected a positive number of calls per second')
      .max(1000, 'expected at most 1000 calls per second')
      .default(1),
    /** The account's zone: fallback for contacts without one, and the zone of scheduled starts. */
    ACCOUNT_TIME_ZONE: IanaZoneSchema.default('America/New_York'),
    /** Region used to read national numbers (CSV rows without +country code). */
    DEFAULT_REGION: z
      .string()
      .regex(/^[A-Z]{2}$/, 'expected an ISO 3166-1 alpha-2 country code such as US')
      .default('US'),
  })
  .superRefine((env, ctx) => {
    const need = (key: keyof typeof env, why: string) => {
      if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: `required ${why}` });
    };
    if (env.TELEPHONY === 'twilio') {
      need('TWILIO_ACCOUNT_SID', 'when TELEPHONY=twilio');
      need('TWILIO_AUTH_TOKEN', 'when TELEPHONY=twilio');
      need('PUBLIC_BASE_URL', 'when TELEPHONY=twilio (Twilio calls it back and signs that URL)');
    }
    if (env.CRM === 'hubspot') {
      need('HUBSPOT_ACCESS_TOKEN', 'when CRM=hubspot');
      need('HUBSPOT_CLIENT_SECRET', 'when CRM=hubspot (webhook signatures)');
    }
  });
export type Env = z.infer<typeof EnvSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws a ConfigError naming every bad variable and what it expects. */
export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  const result = EnvSchema.safeParse(source);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
}
