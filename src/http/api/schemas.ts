/**
 * The API's request and response schemas. Request bodies reuse the domain's schemas (one schema per concept);
 * responses are described here so the OpenAPI document (openapi.ts) is generated from code, never by hand.
 */
import { z } from 'zod';
import { AccountDefaultsSchema } from '../../domain/account-defaults.js';
import { CAMPAIGN_STATUSES } from '../../domain/lifecycle.js';
import { CampaignSettingsSchema } from '../../domain/settings.js';

// ------------------------------------------------------------------ path parameters

const id = (what: string) =>
  z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9._:-]+$/, `expected a ${what} id`);

export const CampaignIdSchema = id('campaign');
export const ContactIdSchema = id('contact');
export const AttemptIdSchema = id('attempt');
export const JobIdSchema = id('job');

// ------------------------------------------------------------------ request bodies

export const CampaignCreateSchema = CampaignSettingsSchema.meta({ id: 'CampaignSettings' });

export const CampaignPatchSchema = z
  .object({
    version: z.number().int().min(1),
    settings: CampaignSettingsSchema,
  })
  .meta({ id: 'CampaignPatch' });

/** The lifecycle moves the manager pages offer (stop keeps results, archive is the soft delete). */
export const API_ACTIONS = ['start', 'pause', 'resume', 'stop', 'restart', 'archive'] as const;
export const CampaignActionSchema = z.enum(API_ACTIONS);

export const ScheduleSchema = z
  .object({ startAt: z.number().int().positive('expected a time in epoch milliseconds') })
  .meta({ id: 'Schedule' });

export const EnrollListSchema = z
  .object({
    listId: z.string().trim().min(1, 'choose a list').max(100),
    phoneFields: z
      .array(
        z
          .string()
          .regex(/^[a-z0-9_]{1,100}$/, 'expected a contact property name such as phone or mobilephone'),
      )
      .min(1)
      .max(10)
      .optional(),
  })
  .meta({ id: 'EnrollList' });

export const ClickToCallBodySchema = z
  .object({
    number: z
      .string()
      .trim()
      .min(1, 'choose a number to call')
      .max(100)
      .meta({ description: 'an E.164 number of the contact, or the name of one of its phone fields' }),
  })
  .meta({ id: 'ClickToCall' });

export const WrapUpBodySchema = z
  .object({
    disposition: z.string().trim().min(1, 'choose a disposition').max(100),
    notes: z.string().max(10_000).optional(),
    doNotCall: z.boolean().optional(),
    wrongNumber: z.boolean().optional(),
  })
  .meta({ id: 'WrapUp' });

export const AgentStatusSchema = z.enum(['available', 'away', 'offline']);

export const AgentPresenceBodySchema = z
  .object({
    status: AgentStatusSchema,
    campaignIds: z.array(CampaignIdSchema).max(100).optional(),
    phone: z
      .string()
      .regex(/^\+[1-9]\d{6,14}$/, 'expected your phone number in E.164 form (+15551234567)')
      .optional()
      .meta({ description: 'where you answer: click-to-call rings it first' }),
  })
  .meta({ id: 'AgentPresenceUpdate' });

export const AccountSettingsBodySchema = AccountDefaultsSchema.meta({ id: 'AccountSettings' });

export const PreviewQuerySchema = z.object({
  listId: z.string().trim().min(1).max(100).optional(),
});

// ------------------------------------------------------------------ responses

export const ErrorSchema = z
  .object({
    error: z.string(),
    details: z.array(z.object({ path: z.string(), message: z.string() })),
  })
  .meta({ id: 'Error' });

const CampaignStatusSchema = z.enum(CAMPAIGN_STATUSES);

export const CampaignSummarySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    status: CampaignStatusSchema,
    mode: z.string(),
    answered: z.number(),
    notAnswered: z.number(),
    total: z.number(),
    updatedAt: z.number(),
  })
  .meta({ id: 'CampaignSummary' });

export const CampaignSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    status: CampaignStatusSchema,
    settings: CampaignSettingsSchema,
    version: z.number(),
    createdAt: z.number(),
    updatedAt: z.number(),
    scheduledStartAt: z.number().optional(),
    allowedActions: z.array(z.string()),
  })
  .meta({ id: 'Campaign' });

export const EnrollmentJobSchema = z
  .object({
    id: z.string(),
    status: z.enum(['running', 'completed', 'failed']),
    processed: z.number(),
    enrolled: z.number(),
    skipped: z.number(),
    total: z.number().optional(),
    error: z.string().optional(),
  })
  .meta({ id: 'EnrollmentJob' });

export const CompliancePreviewSchema = z
  .object({
    total: z.number(),
    callable: z.number(),
    invalid: z.number(),
    doNotCall: z.number(),
    noCallableTime: z.number(),
    atDailyCap: z.number(),
    duplicates: z.number(),
    finished: z.number(),
    summary: z.string(),
  })
  .meta({ id: 'CompliancePreview' });

export const LiveStatusSchema = z
  .object({
    status: CampaignStatusSchema,
    counts: z.object({
      queued: z.number(),
      dialing: z.number(),
      live: z.number(),
      reached: z.number(),
      retrying: z.number(),
      failed: z.number(),
      skipped: z.number(),
    }),
    activeCalls: z.array(
      z.object({
        attemptId: z.string(),
        contactId: z.string(),
        toMasked: z.string(),
        state: z.string(),
        since: z.number(),
      }),
    ),
    answerRate: z.number().nullable(),
    abandonRate: z.number().nullable(),
    pace: z.object({ configuredCps: z.number(), measuredCps: z.number() }),
    etaMinutes: z.number().nullable(),
  })
  .meta({ id: 'LiveStatus' });

export const DialerViewSchema = z
  .object({
    contact: z.object({ id: z.string(), name: z.string() }),
    numbers: z.array(
      z.object({
        field: z.string(),
        raw: z.string(),
        e164: z.string().nullable(),
        valid: z.boolean(),
        invalidReason: z.string().optional(),
        zone: z.string().nullable(),
        localTime: z.string().nullable(),
        callableNow: z.boolean(),
        nextAt: z.number().optional(),
        nextAtLocal: z.string().optional(),
        why: z.string().optional(),
      }),
    ),
    enrollments: z.array(
      z.object({
        campaignId: z.string(),
        campaignName: z.string(),
        state: z.string(),
        nextAttemptAt: z.number().nullable(),
        attempts: z.number(),
      }),
    ),
    history: z.array(
      z.object({
        attemptId: z.string(),
        campaignId: z.string(),
        at: z.number(),
        outcome: z.string(),
        disposition: z.string().nullable(),
        durationSec: z.number().nullable(),
        notes: z.string().optional(),
      }),
    ),
    activeCall: z.object({ attemptId: z.string(), status: z.string() }).nullable(),
  })
  .meta({ id: 'DialerView' });

export const CALL_STATES = [
  'queued',
  'ringing-rep',
  'ringing',
  'in-progress',
  'completed',
  'failed',
  'blocked',
] as const;

export const CallStatusSchema = z
  .object({
    attemptId: z.string(),
    contactId: z.string(),
    status: z.enum(CALL_STATES),
    outcome: z.string().optional(),
    durationSec: z.number().optional(),
    blockedReason: z.string().optional(),
  })
  .meta({ id: 'CallStatus' });

export const AgentSchema = z
  .object({
    userId: z.string(),
    status: AgentStatusSchema,
    campaignIds: z.array(z.string()),
    phone: z.string().optional(),
  })
  .meta({ id: 'Agent' });

export const AccountStatusSchema = z
  .object({
    twilio: z.object({ connected: z.boolean(), detail: z.string().optional() }),
    hubspot: z.object({ connected: z.boolean(), scopes: z.array(z.string()).optional() }),
  })
  .meta({ id: 'AccountStatus' });
