/**
 * Campaign and account settings: one zod schema per concept, shared by the engine, the HTTP API and the
 * HubSpot cards. Parsing through these schemas is the only way settings enter the system.
 */
import { ABANDONMENT_RULES } from './abandonment.js';
import { z } from 'zod';
import { DateTime } from 'luxon';

/** Local wall-clock time "HH:mm" (24h). "24:00" is allowed as a window end meaning end of day. */
export const TimeOfDaySchema = z
  .string()
  .regex(/^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'expected a time of day as HH:mm (00:00 to 24:00)');
export type TimeOfDay = z.infer<typeof TimeOfDaySchema>;

/** Minutes since local midnight for an "HH:mm" string. */
export function minutesOfDay(t: TimeOfDay): number {
  const [h, m] = t.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

export const IanaZoneSchema = z
  .string()
  .refine(
    (zone) => DateTime.local().setZone(zone).isValid,
    'expected an IANA time zone such as America/New_York',
  );

export const WeekdayWindowSchema = z
  .object({
    enabled: z.boolean(),
    start: TimeOfDaySchema,
    end: TimeOfDaySchema,
  })
  .refine((w) => !w.enabled || minutesOfDay(w.start) < minutesOfDay(w.end), {
    message: 'window start must be before its end',
    path: ['end'],
  });
export type WeekdayWindow = z.infer<typeof WeekdayWindowSchema>;

export const WEEKDAYS = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** One window per weekday, interpreted in the called person's local time. */
export const CallingWindowsSchema = z.object({
  monday: WeekdayWindowSchema,
  tuesday: WeekdayWindowSchema,
  wednesday: WeekdayWindowSchema,
  thursday: WeekdayWindowSchema,
  friday: WeekdayWindowSchema,
  saturday: WeekdayWindowSchema,
  sunday: WeekdayWindowSchema,
});
export type CallingWindows = z.infer<typeof CallingWindowsSchema>;

const weekday = (start: string, end: string) => ({ enabled: true, start, end });
/** Default account windows: weekdays 09:00-18:00, Saturday 10:00-14:00, no Sunday calls. */
export const DEFAULT_CALLING_WINDOWS: CallingWindows = {
  monday: weekday('09:00', '18:00'),
  tuesday: weekday('09:00', '18:00'),
  wednesday: weekday('09:00', '18:00'),
  thursday: weekday('09:00', '18:00'),
  friday: weekday('09:00', '18:00'),
  saturday: weekday('10:00', '14:00'),
  sunday: { enabled: false, start: '09:00', end: '18:00' },
};

/** A calendar date (in the called person's local time) on which nobody is called, e.g. Christmas Day. */
export const NoCallDateSchema = z.object({
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD'),
  label: z.string().max(100).optional(),
});
export type NoCallDate = z.infer<typeof NoCallDateSchema>;

export const E164Schema = z
  .string()
  .regex(/^\+[1-9]\d{6,14}$/, 'expected a phone number in E.164 form (+15551234567)');

/** Account-level dialer settings; campaigns may override windows. */
export const AccountSettingsSchema = z.object({
  timeZone: IanaZoneSchema.default('America/New_York'),
  defaultRegion: z
    .string()
    .regex(/^[A-Z]{2}$/, 'expected an ISO 3166-1 alpha-2 country code such as US')
    .default('US'),
  windows: CallingWindowsSchema.default(DEFAULT_CALLING_WINDOWS),
  noCallDates: z.array(NoCallDateSchema).default([]),
});
export type AccountSettings = z.infer<typeof AccountSettingsSchema>;

// ---------------------------------------------------------------------------------------------------------
// Retry policy (seed 003): Smart Calling with an intensity, or Defined Intervals; plus stop conditions.
// ---------------------------------------------------------------------------------------------------------

export const SmartIntensitySchema = z.enum(['aggressive', 'moderate', 'conservative']);
export type SmartIntensity = z.infer<typeof SmartIntensitySchema>;

const StopConditions = {
  /** Total attempts after which the contact is finished (1-100). */
  maxAttempts: z.number().int().min(1).max(100).nullable().default(null),
  /** Calendar days since the first attempt after which the contact is finished (0-365, default 7). */
  maxRetryDays: z.number().int().min(0).max(365).nullable().default(7),
  /** Minimum minutes between two attempts to the same number. */
  minGapMinutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(30),
};

const atLeastOneStop = (p: { maxAttempts: number | null; maxRetryDays: number | null }) =>
  p.maxAttempts !== null || p.maxRetryDays !== null;
const stopMessage = {
  message: 'set at least one stop condition: maxAttempts or maxRetryDays',
  path: ['maxAttempts'],
};

export const RetryPolicySchema = z
  .discriminatedUnion('strategy', [
    z.object({
      strategy: z.literal('smart'),
      intensity: SmartIntensitySchema.default('moderate'),
      ...StopConditions,
    }),
    z.object({
      strategy: z.literal('intervals'),
      /** Delay before each retry, in minutes: [60, 240, 1440] = retry after 1 h, then 4 h, then 1 day. */
      delaysMinutes: z
        .array(
          z
            .number()
            .int()
            .min(1)
            .max(365 * 24 * 60),
        )
        .min(1)
        .max(99),
      ...StopConditions,
    }),
  ])
  .refine(atLeastOneStop, stopMessage);
export type RetryPolicy = z.infer<typeof RetryPolicySchema>;

// ---------------------------------------------------------------------------------------------------------
// Campaign settings
// ---------------------------------------------------------------------------------------------------------

/** An agent's wrap-up time limit when the campaign sets none. */
export const DEFAULT_WRAP_UP_LIMIT_SEC = 120;

export const DialModeSchema = z.discriminatedUnion('mode', [
  /** A rep claims the next lead, sees it, then dials or skips. */
  z.object({
    mode: z.literal('preview'),
    previewTimeoutSec: z.number().int().min(10).max(3600).default(120),
  }),
  /** One call per available agent. */
  z.object({ mode: z.literal('progressive') }),
  /** N lines per available agent. */
  z.object({ mode: z.literal('power'), linesPerAgent: z.number().int().min(1).max(10).default(2) }),
  /** Dial ahead on predicted answer rate, capped by the abandonment target. */
  z.object({
    mode: z.literal('predictive'),
    maxAbandonRatePct: z.number().min(0).max(3).default(3),
    /** Which rule's periods count abandonment: US FTC (30 days) or UK Ofcom (24 hours, 72 h quiet after one). */
    abandonmentRule: z.enum(ABANDONMENT_RULES).default('ftc-30d'),
  }),
  /** Recorded message / reminder: no agents, paced only by calls per second and concurrency. */
  z.object({ mode: z.literal('message') }),
]);
export type DialMode = z.infer<typeof DialModeSchema>;

export const ConnectToSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('number'), number: E164Schema }),
  z.object({ type: z.literal('hunt-group'), numbers: z.array(E164Schema).min(1).max(10) }),
  z.object({ type: z.literal('agent'), agentId: z.string().min(1) }),
  /**
   * The agents logged in to the campaign (progressive, power, predictive): an answered call is bridged to an
   * idle agent's pinned conference within 2 s, or gets the safe-harbor message and counts as abandoned.
   */
  z.object({ type: z.literal('agents') }),
]);
export type ConnectTo = z.infer<typeof ConnectToSchema>;

/** What the called person hears: text-to-speech or an audio file. */
export const MessageSchema = z.union([
  z.object({
    say: z.string().min(1).max(4000),
    voice: z.string().optional(),
    language: z.string().optional(),
  }),
  z.object({ playUrl: z.url({ protocol: /^https?$/ }) }),
]);
export type Message = z.infer<typeof MessageSchema>;

export const AmdSchema = z.object({
  /** off: no detection; detect: Twilio `Enable`; detect-message-end: `DetectMessageEnd` (needed to drop a voicemail). */
  detection: z.enum(['off', 'detect', 'detect-message-end']).default('detect'),
  /** What happens when a machine answers. */
  onMachine: z.enum(['hangup', 'drop-voicemail', 'connect']).default('hangup'),
  voicemail: MessageSchema.optional(),
});
export type AmdSettings = z.infer<typeof AmdSchema>;

export const PaceSchema = z.object({
  callsPerSecond: z.number().positive().max(100).default(1),
  maxConcurrentCalls: z.number().int().min(1).max(1000).default(10),
});
export type Pace = z.infer<typeof PaceSchema>;

export const CampaignSettingsSchema = z
  .object({
    name: z.string().trim().min(1, 'a campaign needs a name').max(200),
    description: z.string().max(2000).default(''),
    connectTo: ConnectToSchema.optional(),
    callerIds: z.array(E164Schema).min(1, 'at least one caller ID is needed').max(100),
    callerIdStrategy: z.enum(['round-robin', 'local-presence']).default('round-robin'),
    /** When the campaign should start; absent means "when started by hand". ISO 8601 with offset. */
    startAt: z.iso.datetime({ offset: true }).optional(),
    pace: PaceSchema.default({ callsPerSecond: 1, maxConcurrentCalls: 10 }),
    dialMode: DialModeSchema.default({ mode: 'progressive' }),
    amd: AmdSchema.default({ detection: 'detect', onMachine: 'hangup' }),
    /** Reminder / message campaigns: the message played on answer, and whether a keypad answer is gathered. */
    message: MessageSchema.optional(),
    gatherConfirmation: z.boolean().default(false),
    /** Overrides of the account's windows and no-call dates; absent means "use the account's". */
    windows: CallingWindowsSchema.optional(),
    noCallDates: z.array(NoCallDateSchema).optional(),
    /** Fallback zone for contacts with no zone of their own; absent means the account's zone. */
    timeZone: IanaZoneSchema.optional(),
    retry: RetryPolicySchema.default({
      strategy: 'smart',
      intensity: 'moderate',
      maxAttempts: null,
      maxRetryDays: 7,
      minGapMinutes: 30,
    }),
    /** Ring timeout in seconds; US rules require at least 15 s (4 rings) before abandoning. */
    ringTimeoutSec: z.number().int().min(15).max(120).default(25),
    record: z.boolean().default(false),
    /** Refuse to start or keep dialing unless the national DNC registry imported for the portal is <= 31 days old. */
    requiresRegistryScrub: z.boolean().optional(),
    /**
     * Agents' campaigns: an agent's wrap-up time limit; past it the agent is set away and the attempt stays
     * not dispositioned. Absent: DEFAULT_WRAP_UP_LIMIT_SEC.
     */
    wrapUpLimitSec: z.number().int().min(10).max(3600).optional(),
    /**
     * What a person hears when no agent is free within 2 s (the caller's identity and a call-back number);
     * absent: a default naming the campaign and its caller ID.
     */
    safeHarborMessage: MessageSchema.optional(),
    billingLabel: z.string().max(100).optional(),
  })
  .superRefine((s, ctx) => {
    const needsAgent = s.dialMode.mode !== 'message';
    if (needsAgent && !s.connectTo) {
      ctx.addIssue({
        code: 'custom',
        path: ['connectTo'],
        message: `dial mode ${s.dialMode.mode} needs a connect-to target`,
      });
    }
    if (s.dialMode.mode === 'message' && !s.message) {
      ctx.addIssue({
        code: 'custom',
        path: ['message'],
        message: 'a message campaign needs a message to play',
      });
    }
    if (s.amd.onMachine === 'drop-voicemail') {
      if (s.amd.detection !== 'detect-message-end') {
        ctx.addIssue({
          code: 'custom',
          path: ['amd', 'detection'],
          message: 'dropping a voicemail needs detection "detect-message-end" (wait for the beep)',
        });
      }
      if (!s.amd.voicemail) {
        ctx.addIssue({
          code: 'custom',
          path: ['amd', 'voicemail'],
          message: 'dropping a voicemail needs a voicemail message',
        });
      }
    }
  });
export type CampaignSettings = z.infer<typeof CampaignSettingsSchema>;
export type CampaignSettingsInput = z.input<typeof CampaignSettingsSchema>;

/** Formats a zod error as "field.path: message" lines, so every bad input says which field and why. */
export function describeZodError(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}
