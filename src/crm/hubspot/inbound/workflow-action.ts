/**
 * Custom workflow action "Place a call": HubSpot posts one execution (callbackId); we answer BLOCK, and the call
 * goes through the engine like any other (DNC, legal hours, windows, caps and pacing apply; a call that may not
 * happen yet waits for its window) in a per-portal reminder campaign of message mode, one per distinct message,
 * confirmation, retry policy and caller ID. The step is completed later (workflow-completions.ts).
 *
 * A duplicate delivery of a callbackId places no second call: the execution is recorded once (HSETNX), and a
 * redelivery only finishes an enrollment a crash interrupted (enrollment is idempotent per contact). A contact
 * that already waits for a call in the same campaign shares that call: both executions get its outcome.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { CampaignService } from '../../../engine/campaigns.js';
import { EngineInputError } from '../../../engine/campaigns.js';
import type { Clock } from '../../../shared/clock.js';
import type { Store } from '../../../engine/store/store.js';
import { INITIAL_PROGRESS } from '../../../engine/store/codec.js';
import { E164Schema } from '../../../domain/settings.js';
import type { CampaignSettings } from '../../../domain/settings.js';
import { FINAL_LEAD_STATES } from '../../../engine/events.js';
import type { SkipReason } from '../../../engine/events.js';
import { ianaZoneOf } from './hubspot-timezone.js';
import { InboundKeys } from './ports.js';
import type { HubSpotClientProvider, RedisConnection } from './ports.js';
import { outputForSkip } from './workflow-outcome.js';
import type { WorkflowOutputFields } from './workflow-outcome.js';

const id = z.union([z.number().int().nonnegative(), z.string().regex(/^\d{1,20}$/)]).transform(String);
/** HubSpot sends booleans of action fields as "true"/"false" strings. */
const bool = z
  .union([z.boolean(), z.enum(['true', 'false'])])
  .transform((v) => v === true || v === 'true')
  .default(false);
const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

export const RETRY_POLICIES = ['none', 'conservative', 'moderate', 'aggressive'] as const;

export const PlaceCallInputSchema = z
  .object({
    phoneProperty: z.preprocess(
      blankToUndefined,
      z
        .string()
        .regex(/^[a-z0-9_]{1,100}$/, 'expected a contact property name')
        .default('phone'),
    ),
    phoneNumber: z.preprocess(blankToUndefined, z.string().max(100).optional()),
    messageText: z.preprocess(blankToUndefined, z.string().max(4000).optional()),
    messageAudioUrl: z.preprocess(blankToUndefined, z.url({ protocol: /^https$/ }).optional()),
    requireConfirmation: bool,
    retryPolicy: z.preprocess(blankToUndefined, z.enum(RETRY_POLICIES).default('moderate')),
    callerId: z.preprocess(blankToUndefined, E164Schema.optional()),
  })
  .refine((i) => i.messageText || i.messageAudioUrl, {
    message: 'set messageText or messageAudioUrl: the call needs something to say',
    path: ['messageText'],
  });
export type PlaceCallInput = z.infer<typeof PlaceCallInputSchema>;

export const PlaceCallRequestSchema = z.object({
  callbackId: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9:_-]+$/, 'unexpected characters in callbackId'),
  origin: z.looseObject({ portalId: id, actionDefinitionId: id.optional() }),
  object: z.looseObject({
    objectId: id,
    objectType: z.string().optional(),
    properties: z.record(z.string(), z.string().nullable()).optional(),
  }),
  inputFields: PlaceCallInputSchema,
});
export type PlaceCallRequest = z.infer<typeof PlaceCallRequestSchema>;

/** What HubSpot gets back at once: wait for our completion (API.md: one day). */
export const BLOCK_RESPONSE = {
  outputFields: { hs_execution_state: 'BLOCK', hs_expiration_duration: 'P1D' },
} as const;

/** Attempts per retry policy; every retry stays within the day the step waits. */
const ATTEMPTS: Record<(typeof RETRY_POLICIES)[number], number> = {
  none: 1,
  conservative: 2,
  moderate: 3,
  aggressive: 4,
};

export interface WorkflowCallsOptions {
  store: Store;
  campaigns: CampaignService;
  redis: RedisConnection;
  keyPrefix: string;
  clients: HubSpotClientProvider;
  clock: Clock;
  /** Caller IDs of the portal, used when the action gives none. */
  defaultCallerIds: (portalId: string) => string[];
}

/** The per-contact index of callbacks (for a privacy purge) outlives every callback record it names. */
const CONTACT_INDEX_TTL_SECONDS = 60 * 86_400;

export type AcceptResult = 'accepted' | 'duplicate' | 'completed';

export class WorkflowCalls {
  constructor(private readonly o: WorkflowCallsOptions) {}

  keys(portalId: string) {
    return new InboundKeys(this.o.keyPrefix, portalId);
  }

  /** The campaign settings of an action's inputs (deterministic, so equal inputs share a campaign). */
  settingsFor(portalId: string, input: PlaceCallInput): CampaignSettings {
    const callerIds = input.callerId ? [input.callerId] : this.o.defaultCallerIds(portalId);
    if (!callerIds.length) {
      throw new EngineInputError('callerId: no caller ID given and none is configured for this portal');
    }
    return {
      name: 'Workflow reminders',
      description: 'Calls placed by the HubSpot workflow action "Place a call"',
      callerIds,
      callerIdStrategy: 'round-robin',
      pace: { callsPerSecond: 1, maxConcurrentCalls: 10 },
      dialMode: { mode: 'message' },
      amd: { detection: 'detect', onMachine: 'hangup' },
      message: input.messageAudioUrl ? { playUrl: input.messageAudioUrl } : { say: input.messageText! },
      gatherConfirmation: input.requireConfirmation,
      retry: {
        strategy: 'smart',
        intensity: input.retryPolicy === 'none' ? 'conservative' : input.retryPolicy,
        maxAttempts: ATTEMPTS[input.retryPolicy],
        maxRetryDays: 1,
        minGapMinutes: 30,
      },
      ringTimeoutSec: 25,
      record: false,
    };
  }

  campaignIdFor(settings: CampaignSettings): string {
    return `wf-${createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 16)}`;
  }

  /** Records the execution and enrolls the contact; resolves once durable. */
  async accept(request: PlaceCallRequest): Promise<AcceptResult> {
    const portalId = request.origin.portalId;
    const contactId = request.object.objectId;
    const k = this.keys(portalId);
    const settings = this.settingsFor(portalId, request.inputFields);
    const campaignId = this.campaignIdFor(settings);
    const callbackKey = k.callback(request.callbackId);
    const first = await this.o.redis.hSetNX(callbackKey, 'state', 'accepted');
    if (!first) {
      const state = await this.o.redis.hGet(callbackKey, 'state');
      if (state !== 'accepted') return state === 'waiting' ? 'duplicate' : 'completed';
      // A crash interrupted the first delivery: finish its enrollment (idempotent).
    }
    await this.o.redis.hSet(callbackKey, {
      portalId,
      contactId,
      campaignId,
      armedAt: String(this.o.clock.now()),
    });
    await this.o.redis.sAdd(k.contactCallbacks(contactId), request.callbackId);
    await this.o.redis.expire(k.contactCallbacks(contactId), CONTACT_INDEX_TTL_SECONDS);
    await this.ensureCampaign(portalId, campaignId, settings);
    const phone = await this.phoneOf(portalId, contactId, request);
    // Registered before the enrollment, so an outcome that follows it at once finds the callback.
    await this.o.redis.sAdd(k.leadCallbacks(campaignId, contactId), request.callbackId);
    const skip = await this.enroll(portalId, campaignId, contactId, phone);
    if (skip) {
      await this.o.redis.sRem(k.leadCallbacks(campaignId, contactId), request.callbackId);
      await this.queueCompletion(portalId, request.callbackId, outputForSkip(skip, 0));
      return 'completed';
    }
    await this.o.redis.hSet(callbackKey, 'state', 'waiting');
    await this.ensureActive(portalId, campaignId);
    return 'accepted';
  }

  /** Stores the output and queues it for delivery to HubSpot (idempotent: the first output wins). */
  async queueCompletion(
    portalId: string,
    callbackId: string,
    output: WorkflowOutputFields,
  ): Promise<boolean> {
    const k = this.keys(portalId);
    const stored = await this.o.redis.hSetNX(k.callback(callbackId), 'output', JSON.stringify(output));
    if (!stored) return false;
    await this.o.redis.hSet(k.callback(callbackId), 'state', 'completing');
    await this.o.redis.zAdd(k.outbox(), { score: this.o.clock.now(), value: callbackId });
    return true;
  }

  private async ensureCampaign(portalId: string, campaignId: string, settings: CampaignSettings) {
    if (await this.o.store.getCampaign(portalId, campaignId)) return;
    try {
      await this.o.campaigns.create(portalId, settings, campaignId);
    } catch (error) {
      if (!(error instanceof EngineInputError && /already exists/.test(error.message))) throw error;
    }
  }

  private async ensureActive(portalId: string, campaignId: string) {
    const record = await this.o.campaigns.get(portalId, campaignId);
    const action =
      record.status === 'draft' || record.status === 'scheduled' || record.status === 'overdue'
        ? 'start'
        : record.status === 'completed' || record.status === 'canceled'
          ? 'restart'
          : null;
    if (!action) return; // active, or paused by a manager: the call waits
    try {
      await this.o.campaigns.act(portalId, campaignId, action, 'workflow action "Place a call"');
    } catch (error) {
      // Another execution started it meanwhile; anything else (e.g. a stale registry) leaves it waiting.
      if (!(error instanceof EngineInputError)) throw error;
    }
  }

  private async phoneOf(portalId: string, contactId: string, request: PlaceCallRequest) {
    const { phoneNumber, phoneProperty } = request.inputFields;
    const given = request.object.properties;
    if (phoneNumber) return { phone: phoneNumber, timeZone: ianaZoneOf(given?.hs_timezone) };
    if (given && phoneProperty in given) {
      return { phone: given[phoneProperty] ?? '', timeZone: ianaZoneOf(given.hs_timezone) };
    }
    const client = await this.o.clients(portalId);
    const contact = await client.crm.contacts.basicApi.getById(contactId, [phoneProperty, 'hs_timezone']);
    return {
      phone: contact.properties[phoneProperty] ?? '',
      timeZone: ianaZoneOf(contact.properties.hs_timezone),
    };
  }

  /** Enrolls (or re-arms a finished lead of an earlier execution); a skip reason when no call will be made. */
  private async enroll(
    portalId: string,
    campaignId: string,
    contactId: string,
    phone: { phone: string; timeZone: string | undefined },
  ): Promise<SkipReason | null> {
    const report = await this.o.campaigns.enroll(portalId, campaignId, [
      { contactId, phone: phone.phone, ...(phone.timeZone ? { timeZone: phone.timeZone } : {}) },
    ]);
    if (report.enrolled === 1) return null;
    const lead = await this.o.store.getLead(portalId, campaignId, contactId);
    if (!lead) return report.skipped[0]?.reason ?? 'INVALID_NUMBER';
    if (!FINAL_LEAD_STATES.includes(lead.progress.state)) return null; // waiting already: share its call
    if (lead.progress.state === 'dnc' || lead.progress.state === 'removed') return 'DNC';
    // An earlier execution's lead: dial again, from the queue's next pass (the pre-dial check fits it in).
    const ok = await this.o.store.updateLead(
      portalId,
      campaignId,
      contactId,
      lead.rev,
      { ...INITIAL_PROGRESS, recentAttemptTimes: [] },
      this.o.clock.now(),
    );
    if (!ok) return this.enroll(portalId, campaignId, contactId, phone);
    return null;
  }
}
