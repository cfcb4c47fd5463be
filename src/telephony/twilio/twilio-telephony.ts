/**
 * The Twilio adapter: places calls through the official SDK with status callbacks, asynchronous answering-
 * machine detection and the call flow as TwiML, and acts on live calls (voicemail drop, safe harbor, hangup).
 * Call progress comes back through the signed webhooks (webhooks.ts), not from here.
 */
import twilio from 'twilio';
import { z } from 'zod';
import { ANSWERED_BY, CALL_STATUSES } from '../../domain/call.js';
import type { AnsweredBy } from '../../domain/call.js';
import type { AmdSettings, Message } from '../../domain/settings.js';
import type { AnsweredRoute, CallStatusSnapshot, DialRequest, Telephony } from '../telephony.js';
import { TelephonyError } from '../telephony.js';
import { TWILIO_CALL_NOT_IN_PROGRESS, classifyTwilioError, withTwilioRetry } from './errors.js';
import type { RetryOptions } from './errors.js';
import {
  CALL_PROGRESS_EVENTS,
  callbackUrl,
  clickToCallTwiml,
  connectTwiml,
  hangupTwiml,
  reminderTwiml,
  safeHarborTwiml,
  agentHoldTwiml,
  leadToAgentTwiml,
  voicemailTwiml,
  webhookUrl,
} from './twiml.js';

type TwilioClient = twilio.Twilio;
type CallCreateOptions = Parameters<TwilioClient['calls']['create']>[0];

/** Twilio refuses inline TwiML longer than this; longer flows are fetched from our TwiML endpoint instead. */
export const MAX_INLINE_TWIML_CHARS = 4000;

export type TelephonyWarning =
  | {
      code: 'TWILIO_QUEUEING';
      message: string;
      attemptId?: string;
      providerCallId?: string;
      queueTimeMs?: number;
      /** How long the call has sat in `queued` (Twilio has not started it yet). */
      queuedForMs?: number;
    }
  | { code: 'TWILIO_CALL_UPDATE_FAILED'; message: string; providerCallId: string; error: TelephonyError };

export interface TwilioTelephonyOptions {
  client: TwilioClient;
  /** Public https base URL Twilio calls back (the webhook router is mounted at `${publicBaseUrl}/twilio`). */
  publicBaseUrl: string;
  onWarning?: (warning: TelephonyWarning) => void;
  /** The one retry layer (429, 5xx, connection failures); the SDK client's autoRetry must be off. */
  retry?: RetryOptions;
  /** AMD settings of an attempt dialed before a restart (the in-memory copy is gone). */
  resolveAmd?: (attemptId: string) => Promise<AmdSettings | undefined>;
  /** The engine's clock, for DialRequest.notAfter and queue times (default Date.now). */
  now?: () => number;
  /**
   * A call still `queued` this long after it was created means Twilio is holding it back because we dial above
   * the account's calls per second: fetchStatus then warns TWILIO_QUEUEING (default 5000 ms).
   */
  stuckQueuedAfterMs?: number;
  /** Also look once, stuckQueuedAfterMs after each create, whether the call left `queued` (default off). */
  checkStuckQueued?: boolean;
  /** Timer for that look; injected so tests do not wait (default: an unref'd setTimeout). */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Builds the SDK client the adapter expects: the SDK's own 429 backoff OFF. Retries live in one place,
 * withTwilioRetry, which also retries 5xx and honours the dial deadline; stacked on the SDK's, a 429 could
 * be tried 16 times and reach the carrier long after the engine checked the calling window.
 */
export function createTwilioClient(accountSid: string, authToken: string): TwilioClient {
  return twilio(accountSid, authToken, { autoRetry: false });
}

/** The parts of a fetched Call resource we read; anything else Twilio adds is ignored. */
const FetchedCall = z.object({
  status: z.enum(CALL_STATUSES),
  duration: z.string().regex(/^\d+$/).transform(Number).nullish().catch(undefined),
  answeredBy: z.enum(ANSWERED_BY).nullish().catch(undefined),
  queueTime: z.string().regex(/^\d+$/).transform(Number).nullish().catch(undefined),
  dateCreated: z.date().nullish().catch(undefined),
});

const unrefSleep = (ms: number) =>
  new Promise<void>((resolve) => {
    // A pending queue check must not keep the process alive at shutdown.
    setTimeout(resolve, ms).unref();
  });

/** What to do with a live call once asynchronous AMD has an answer. */
export type MachineAction = 'drop-voicemail' | 'hangup' | 'none';

const MESSAGE_END: readonly AnsweredBy[] = ['machine_end_beep', 'machine_end_silence', 'machine_end_other'];

/** Pure: the campaign's answer to an AMD result (the engine uses it to know a voicemail was dropped). */
export function machineAction(amd: AmdSettings, answeredBy: AnsweredBy): MachineAction {
  if (amd.detection === 'off' || answeredBy === 'human' || answeredBy === 'unknown') return 'none';
  const machine = answeredBy === 'fax' || answeredBy.startsWith('machine_');
  if (!machine) return 'none';
  if (amd.onMachine === 'connect') return 'none';
  if (amd.onMachine === 'drop-voicemail') {
    if (answeredBy === 'fax') return 'hangup';
    // The message can only be left after the beep; machine_start means detection stopped early.
    return MESSAGE_END.includes(answeredBy) && amd.voicemail ? 'drop-voicemail' : 'none';
  }
  return 'hangup';
}

const DEDUP_LIMIT = 10_000;

export class TwilioTelephony implements Telephony {
  private readonly client: TwilioClient;
  private readonly baseUrl: string;
  private readonly onWarning: (warning: TelephonyWarning) => void;
  private readonly retry: RetryOptions;
  private readonly resolveAmd?: (attemptId: string) => Promise<AmdSettings | undefined>;
  private readonly now: () => number;
  private readonly stuckQueuedAfterMs: number;
  private readonly checkStuckQueued: boolean;
  private readonly sleep: (ms: number) => Promise<void>;
  /** When each call we created was accepted, and by which attempt (for the stuck-in-queued check). */
  private readonly created = new Map<string, { attemptId: string; at: number }>();
  private readonly warnedQueued = new Map<string, true>();
  private readonly checks = new Set<Promise<void>>();
  /** In-flight and recent dials by attemptId, so a repeated dial in this process places one call. */
  private readonly dials = new Map<string, Promise<{ providerCallId: string }>>();
  private readonly amdByAttempt = new Map<string, AmdSettings>();

  constructor(options: TwilioTelephonyOptions) {
    this.client = options.client;
    this.baseUrl = options.publicBaseUrl.replace(/\/+$/, '');
    this.onWarning = options.onWarning ?? (() => {});
    this.retry = options.retry ?? {};
    this.resolveAmd = options.resolveAmd;
    this.now = options.now ?? Date.now;
    this.stuckQueuedAfterMs = options.stuckQueuedAfterMs ?? 5000;
    this.checkStuckQueued = options.checkStuckQueued ?? false;
    this.sleep = options.sleep ?? unrefSleep;
    if ((this.client as { autoRetry?: boolean }).autoRetry) {
      throw new Error(
        'the Twilio client retries 429 itself (autoRetry): TwilioTelephony must be the only retry layer, ' +
          'so build the client with createTwilioClient (autoRetry off)',
      );
    }
  }

  dial(request: DialRequest): Promise<{ providerCallId: string }> {
    const existing = this.dials.get(request.attemptId);
    if (existing) return existing;
    const placed = this.place(request);
    this.remember(this.dials, request.attemptId, placed);
    // A failed dial may be retried later with the same attemptId.
    placed.catch(() => this.dials.delete(request.attemptId));
    return placed;
  }

  /** The exact calls.create parameters for a request (exposed for inspection and tests). */
  createParams(request: DialRequest): CallCreateOptions {
    if (request.ringTimeoutSec < 15) {
      throw new TelephonyError('ringTimeoutSec must be at least 15 seconds', undefined, undefined, false);
    }
    const attemptId = request.attemptId;
    const clickToCall = request.flow.kind === 'click-to-call';
    const params: CallCreateOptions = {
      to: request.to,
      from: request.from,
      statusCallback: callbackUrl(
        this.baseUrl,
        'status',
        clickToCall ? { attemptId, leg: 'rep' } : { attemptId },
      ),
      statusCallbackEvent: [...CALL_PROGRESS_EVENTS],
      statusCallbackMethod: 'POST',
      timeout: request.ringTimeoutSec,
    };
    // AMD on the rep's own phone would only delay the rep: click-to-call never uses it.
    if (request.amd.detection !== 'off' && !clickToCall) {
      params.machineDetection =
        request.amd.detection === 'detect-message-end' ? 'DetectMessageEnd' : 'Enable';
      params.asyncAmd = 'true';
      params.asyncAmdStatusCallback = callbackUrl(this.baseUrl, 'amd', { attemptId });
      params.asyncAmdStatusCallbackMethod = 'POST';
    }
    if (request.record) {
      params.record = true;
      params.recordingStatusCallback = callbackUrl(this.baseUrl, 'recording', { attemptId });
      params.recordingStatusCallbackMethod = 'POST';
      params.recordingStatusCallbackEvent = ['completed'];
    }
    const twiml = this.flowTwiml(request);
    // A click-to-call's contact leg is fetched when the rep answers, never sent inline: the DNC list and the
    // legal hours are checked again at that moment, up to the ring timeout after the call was requested.
    if (twiml.length <= MAX_INLINE_TWIML_CHARS && !clickToCall) {
      params.twiml = twiml;
    } else {
      params.url = webhookUrl(this.baseUrl, `twiml/${request.flow.kind}`, { attemptId });
      params.method = 'POST';
    }
    return params;
  }

  /** The TwiML run when the call is answered. */
  flowTwiml(request: DialRequest): string {
    const { attemptId, flow } = request;
    switch (flow.kind) {
      case 'connect':
        return connectTwiml({
          targets: flow.targets,
          callerId: request.from,
          actionUrl: webhookUrl(this.baseUrl, 'dial-action', { attemptId }),
          ...(flow.whisper
            ? { whisperUrl: webhookUrl(this.baseUrl, 'whisper', { text: flow.whisper }) }
            : {}),
        });
      case 'reminder':
        return reminderTwiml({
          message: flow.message,
          ...(flow.gather
            ? {
                gatherActionUrl: webhookUrl(this.baseUrl, 'gather', {
                  attemptId,
                  transferTo: flow.transferTo,
                  callerId: flow.transferTo ? request.from : undefined,
                }),
              }
            : {}),
        });
      case 'click-to-call':
        return clickToCallTwiml({
          contactNumber: flow.contactNumber,
          callerId: request.from,
          statusCallbackUrl: callbackUrl(this.baseUrl, 'status', { attemptId, leg: 'contact' }),
          actionUrl: webhookUrl(this.baseUrl, 'dial-action', { attemptId }),
          timeoutSec: request.ringTimeoutSec,
        });
      case 'safe-harbor':
        return safeHarborTwiml(flow.message);
      case 'agent-conference':
        return agentHoldTwiml();
    }
  }

  async hangup(providerCallId: string): Promise<void> {
    try {
      // 'completed' ends the call whatever its state (queued, ringing or in progress).
      await withTwilioRetry(
        () => this.client.calls(providerCallId).update({ status: 'completed' }),
        true,
        this.retry,
      );
    } catch (err) {
      const { error } = classifyTwilioError(err);
      // Already over: hanging up is idempotent.
      if (error.code === TWILIO_CALL_NOT_IN_PROGRESS || error.httpStatus === 404) return;
      throw error;
    }
  }

  /**
   * Twilio's view of a call (GET /Calls/{sid}), for a reaper that lost the callbacks; null when Twilio does not
   * know the SID. The Call resource carries no error or SIP code, so those stay unset. A call still `queued`
   * long after its create is reported as TWILIO_QUEUEING (we dial above the account's rate).
   */
  async fetchStatus(providerCallId: string): Promise<CallStatusSnapshot | null> {
    let fetched: unknown;
    try {
      fetched = await withTwilioRetry(() => this.client.calls(providerCallId).fetch(), true, this.retry);
    } catch (err) {
      const { error } = classifyTwilioError(err);
      if (error.httpStatus === 404) return null;
      throw error;
    }
    const parsed = FetchedCall.safeParse(fetched);
    if (!parsed.success) {
      const details = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      throw new TelephonyError(`unexpected Call resource from Twilio: ${details}`, undefined, 200, false);
    }
    const call = parsed.data;
    if (call.status === 'queued') this.warnIfStuckQueued(providerCallId, call.dateCreated ?? undefined);
    return {
      status: call.status,
      ...(call.duration != null ? { durationSec: call.duration } : {}),
      ...(call.answeredBy != null ? { answeredBy: call.answeredBy } : {}),
    };
  }

  /** Resolves once every pending stuck-in-queued check has run (for shutdown and tests). */
  async settled(): Promise<void> {
    while (this.checks.size > 0) await Promise.all([...this.checks]);
  }

  /** Replaces what a live call is doing with `twiml`. False when the call had already ended. */
  async updateLiveCall(providerCallId: string, twiml: string): Promise<boolean> {
    try {
      await withTwilioRetry(() => this.client.calls(providerCallId).update({ twiml }), true, this.retry);
      return true;
    } catch (err) {
      const { error } = classifyTwilioError(err);
      if (error.code === TWILIO_CALL_NOT_IN_PROGRESS || error.httpStatus === 404) return false;
      this.onWarning({
        code: 'TWILIO_CALL_UPDATE_FAILED',
        message: `could not update call ${providerCallId}: ${error.message}`,
        providerCallId,
        error,
      });
      throw error;
    }
  }

  /** Predictive overflow: nobody could take the answered call within 2 s, so play the safe-harbor message. */
  playSafeHarbor(providerCallId: string, message: Message): Promise<boolean> {
    return this.updateLiveCall(providerCallId, safeHarborTwiml(message));
  }

  /** Routes an answered agents'-campaign call: into the agent's pinned conference, or the safe-harbor message. */
  routeAnswered(providerCallId: string, route: AnsweredRoute): Promise<boolean> {
    return this.updateLiveCall(
      providerCallId,
      route.kind === 'agent' ? leadToAgentTwiml(route.conference) : safeHarborTwiml(route.message),
    );
  }

  /**
   * Called by the AMD webhook: drops the voicemail after the beep or hangs up on a machine, as the campaign
   * says. Returns what was done.
   */
  async handleMachineDetection(
    attemptId: string,
    providerCallId: string,
    answeredBy: AnsweredBy,
  ): Promise<MachineAction> {
    const amd = this.amdByAttempt.get(attemptId) ?? (await this.resolveAmd?.(attemptId));
    if (!amd) return 'none';
    const action = machineAction(amd, answeredBy);
    if (action === 'none') return action;
    const twiml =
      action === 'drop-voicemail' && amd.voicemail ? voicemailTwiml(amd.voicemail) : hangupTwiml();
    const applied = await this.updateLiveCall(providerCallId, twiml);
    this.amdByAttempt.delete(attemptId);
    return applied ? action : 'none';
  }

  private async place(request: DialRequest): Promise<{ providerCallId: string }> {
    const params = this.createParams(request);
    const deadline =
      request.notAfter !== undefined ? { notAfter: request.notAfter, now: this.now } : undefined;
    const call = await withTwilioRetry(() => this.client.calls.create(params), false, this.retry, deadline);
    if (request.amd.detection !== 'off') this.remember(this.amdByAttempt, request.attemptId, request.amd);
    this.remember(this.created, call.sid, { attemptId: request.attemptId, at: this.now() });
    if (this.checkStuckQueued && call.status === 'queued') this.scheduleQueuedCheck(call.sid);
    if (call.status === 'queued' && request.notAfter !== undefined) {
      this.scheduleCancelIfQueued(call.sid, request.notAfter);
    }
    const queueTimeMs = Number(call.queueTime ?? 0);
    if (queueTimeMs > 0) {
      this.onWarning({
        code: 'TWILIO_QUEUEING',
        message: `Twilio queued the call for ${queueTimeMs} ms: dialing above the account's calls per second`,
        attemptId: request.attemptId,
        providerCallId: call.sid,
        queueTimeMs,
      });
    }
    return { providerCallId: call.sid };
  }

  /** One look, stuckQueuedAfterMs after the create: fetchStatus warns if the call is still queued. */
  private scheduleQueuedCheck(providerCallId: string): void {
    const check = this.sleep(this.stuckQueuedAfterMs)
      .then(() => this.fetchStatus(providerCallId))
      .then(
        () => {},
        // Best effort: the reaper's own fetchStatus covers a failed look.
        () => {},
      )
      .finally(() => this.checks.delete(check));
    this.checks.add(check);
  }

  /**
   * Twilio holds calls above the account's calls per second in its own queue and starts them later: a call
   * still queued at the dial deadline would reach the callee after the checks it passed (legal hours, DNC),
   * so it is canceled then ('canceled' only affects a call that has not started ringing).
   */
  private scheduleCancelIfQueued(providerCallId: string, notAfter: number): void {
    const check = this.sleep(Math.max(0, notAfter - this.now()))
      .then(() => this.fetchStatus(providerCallId))
      .then(async (snapshot) => {
        if (snapshot?.status !== 'queued') return;
        await withTwilioRetry(
          () => this.client.calls(providerCallId).update({ status: 'canceled' }),
          true,
          this.retry,
        );
      })
      .catch((err: unknown) => {
        const { error } = classifyTwilioError(err);
        this.onWarning({
          code: 'TWILIO_CALL_UPDATE_FAILED',
          message: `could not cancel a call still queued at its dial deadline: ${error.message}`,
          providerCallId,
          error,
        });
      })
      .finally(() => this.checks.delete(check));
    this.checks.add(check);
  }

  private warnIfStuckQueued(providerCallId: string, dateCreated: Date | undefined): void {
    const created = this.created.get(providerCallId);
    const createdAt = created?.at ?? dateCreated?.getTime();
    if (createdAt === undefined || this.warnedQueued.has(providerCallId)) return;
    const queuedForMs = this.now() - createdAt;
    if (queuedForMs < this.stuckQueuedAfterMs) return;
    this.remember(this.warnedQueued, providerCallId, true);
    this.onWarning({
      code: 'TWILIO_QUEUEING',
      message: `call ${providerCallId} still queued at Twilio after ${queuedForMs} ms: dialing above the account's calls per second`,
      ...(created ? { attemptId: created.attemptId } : {}),
      providerCallId,
      queuedForMs,
    });
  }

  /** Bounded memory: the oldest entries go first (Maps iterate in insertion order). */
  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.set(key, value);
    if (map.size > DEDUP_LIMIT) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
  }
}
