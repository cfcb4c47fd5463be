/**
 * Twilio's callbacks: status, asynchronous AMD, keypad input, recordings and TwiML fetches. Every request is
 * signature-checked against the CONFIGURED public URL (a proxy's Host header is not what Twilio signed), then
 * its body goes through a zod schema, then it becomes a CallEvent for the sink. Duplicates and out-of-order
 * callbacks are normal; the sink folds them (see domain/call-progress.ts) and nothing here throws on them.
 */
import express from 'express';
import type { Request, Response, Router } from 'express';
import twilio from 'twilio';
import { z } from 'zod';
import { ANSWERED_BY, CALL_STATUSES } from '../../domain/call.js';
import type { AnsweredBy, CallEvent } from '../../domain/call.js';
import { E164Schema } from '../../domain/settings.js';
import type { CallEventSink } from '../telephony.js';
import type { TelephonyWarning } from './twilio-telephony.js';
import { CALLBACK_CONNECTION_OVERRIDES, gatherReplyTwiml, hangupTwiml, whisperTwiml } from './twiml.js';

export interface TwilioFlows {
  /** TwiML for a call whose flow was too long to send inline (`/twilio/twiml/:flow?attemptId=…`). */
  twimlFor(attemptId: string, query: Record<string, string>): string | Promise<string>;
}

/** Acts on an AMD result (TwilioTelephony.handleMachineDetection: voicemail drop or hangup). */
export interface MachineDetectionHandler {
  handleMachineDetection(attemptId: string, providerCallId: string, answeredBy: AnsweredBy): Promise<unknown>;
}

export interface WebhookLogger {
  warn(details: object, message?: string): void;
  error(details: object, message?: string): void;
}

export interface TwilioWebhookOptions {
  authToken: string;
  publicBaseUrl: string;
  sink: CallEventSink;
  flows: TwilioFlows;
  machineHandler?: MachineDetectionHandler;
  onWarning?: (warning: TelephonyWarning) => void;
  logger?: WebhookLogger;
  /** Event time when Twilio sends no Timestamp. */
  now?: () => number;
}

const CallSid = z.string().regex(/^CA[0-9a-fA-F]{32}$/, 'expected a Twilio call SID (CA + 32 hex digits)');
/** A whole number in the range Twilio can send for the field (digits only: no sign, no exponent). */
const bounded = (what: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, `expected ${what} as a whole number`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `expected ${what} between ${min} and ${max}`);
const intField = (what: string, min: number, max: number) => bounded(what, min, max).optional();
/** Twilio's calls last at most 24 hours (the longest time limit it allows). */
const DAY_SECONDS = 86_400;

/** Twilio's recordings live on its API hosts (api.twilio.com, or a regional api.<edge>.<region>.twilio.com). */
export const TwilioRecordingUrl = z
  .string()
  .max(2048, 'expected a recording URL of at most 2048 characters')
  .refine((value) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return false;
    }
    return (
      url.protocol === 'https:' &&
      !url.username &&
      !url.password &&
      !url.port &&
      (url.hostname === 'api.twilio.com' ||
        /^api\.[a-z0-9-]+(?:\.[a-z0-9-]+)?\.twilio\.com$/.test(url.hostname))
    );
  }, "expected an https recording URL on Twilio's API host (https://api.twilio.com/...)");

/** RFC 2822, as Twilio writes it: "Tue, 14 Nov 2023 22:13:20 +0000". */
const RFC2822 = /^(?:[A-Z][a-z]{2}, )?\d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} (?:[+-]\d{4}|GMT|UTC)$/;

const AttemptQuery = z.object({ attemptId: z.string().min(1, 'expected the attemptId of the call') });

const StatusQuery = AttemptQuery.extend({ leg: z.enum(['rep', 'contact']).optional() });
const StatusBody = z.object({
  CallSid,
  CallStatus: z.enum(CALL_STATUSES, { message: `expected one of ${CALL_STATUSES.join(', ')}` }),
  ParentCallSid: CallSid.optional(),
  SequenceNumber: intField('the sequence number', 0, 1_000_000),
  CallDuration: intField('the call duration in seconds', 0, DAY_SECONDS),
  ErrorCode: intField('the Twilio error code', 0, 99_999),
  SipResponseCode: intField('the SIP response code', 100, 699),
  QueueTime: intField('the queue time in milliseconds', 0, DAY_SECONDS * 1000),
  Timestamp: z.string().max(64).optional(),
});

const AmdBody = z.object({
  CallSid,
  AnsweredBy: z.enum(ANSWERED_BY, { message: `expected one of ${ANSWERED_BY.join(', ')}` }),
  MachineDetectionDuration: intField('the detection time in milliseconds', 0, 600_000),
});

const GatherQuery = AttemptQuery.extend({
  transferTo: E164Schema.optional(),
  callerId: E164Schema.optional(),
});
const GatherBody = z.object({
  CallSid,
  Digits: z
    .string()
    .regex(/^[0-9*#]*$/, 'expected keypad digits (0-9, * and #)')
    .optional(),
});

const RecordingBody = z.object({
  CallSid,
  RecordingUrl: TwilioRecordingUrl,
  RecordingDuration: bounded('the recording duration in seconds', 0, DAY_SECONDS),
  RecordingStatus: z.enum(['in-progress', 'completed', 'absent', 'failed']).optional(),
  Timestamp: z.string().max(64).optional(),
});

const TwimlBody = z.object({ CallSid: CallSid.optional() });
const WhisperQuery = z.object({ text: z.string().min(1).max(500) });

class BadRequest extends Error {}

function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query'): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const details = result.error.issues.map((i) => `${[where, ...i.path].join('.')}: ${i.message}`).join('; ');
  throw new BadRequest(details);
}

/** Twilio has no callbacks from before this; an earlier time is not one it sent. */
const EARLIEST_TIMESTAMP = Date.UTC(2008, 0, 1);
/** A Timestamp may run ahead of our clock by skew, not by more: a later one would reorder the call's events. */
const TIMESTAMP_FUTURE_MS = DAY_SECONDS * 1000;

/**
 * Twilio's Timestamp is RFC 2822 ("Tue, 26 Jul 2022 14:14:47 +0000"), after 2008 and not ahead of our clock by
 * more than a day; anything else (another format, year 275760) is refused with the field named.
 */
function eventTime(timestamp: string | undefined, now: () => number): number {
  const current = now();
  if (timestamp === undefined) return current;
  const parsed = RFC2822.test(timestamp) ? Date.parse(timestamp) : NaN;
  if (!Number.isFinite(parsed) || parsed < EARLIEST_TIMESTAMP || parsed > current + TIMESTAMP_FUTURE_MS) {
    throw new BadRequest(
      'body.Timestamp: expected an RFC 2822 time such as "Tue, 14 Nov 2023 22:13:20 +0000", after 2008 and not more than a day ahead of now',
    );
  }
  return parsed;
}

/**
 * The form body as Twilio sent it, from the raw bytes: a flat map (a repeated key becomes a list, which every
 * schema refuses). No nesting is possible, so nothing before or in the signature check can recurse on it.
 */
function formParams(req: Request): Record<string, string | string[]> {
  const raw = req.body;
  const params: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  if (!Buffer.isBuffer(raw) || raw.length === 0 || !req.is('application/x-www-form-urlencoded'))
    return params;
  for (const [key, value] of new URLSearchParams(raw.toString('utf8'))) {
    const prev = params[key];
    params[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return params;
}

function sendTwiml(res: Response, twiml: string): void {
  res.status(200).type('text/xml').send(twiml);
}

const silentLogger: WebhookLogger = { warn: () => {}, error: () => {} };

export function createTwilioWebhookRouter(options: TwilioWebhookOptions): Router {
  const baseUrl = options.publicBaseUrl.replace(/\/+$/, '');
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const warn = options.onWarning ?? (() => {});
  const router = express.Router();

  // The raw bytes only (bounded): nothing is parsed before the signature is checked.
  router.use(express.raw({ type: () => true, limit: '64kb' }));

  // Signature first: an unsigned request learns nothing, not even which field was wrong.
  router.use((req, res, next) => {
    const signature = req.header('X-Twilio-Signature');
    const url = baseUrl + req.originalUrl;
    const params = formParams(req);
    // The request never carries the URL fragment holding our connection overrides, and Twilio signs the URL
    // it requests, without it. The URL with our own (constant) fragment is accepted too, so signatures stay
    // valid should Twilio ever sign the configured URL verbatim; the HMAC still needs the auth token.
    const valid =
      !!signature &&
      (twilio.validateRequest(options.authToken, signature, url, params) ||
        twilio.validateRequest(
          options.authToken,
          signature,
          `${url}#${CALLBACK_CONNECTION_OVERRIDES}`,
          params,
        ));
    if (!valid) {
      logger.warn({ url }, 'rejected a Twilio webhook with a missing or invalid signature');
      res.status(403).type('text/plain').send('invalid Twilio signature');
      return;
    }
    req.body = params;
    next();
  });

  const handle =
    (work: (req: Request, res: Response) => Promise<void>) =>
    async (req: Request, res: Response): Promise<void> => {
      try {
        await work(req, res);
      } catch (err) {
        if (err instanceof BadRequest) {
          res.status(400).json({ error: 'invalid Twilio webhook', details: err.message });
          return;
        }
        // The sink could not record the event: the 500 makes Twilio retry it, because every status, AMD and
        // recording callback URL carries the `#rc=…&rp=all` connection overrides (twiml.ts callbackUrl).
        logger.error({ err, path: req.path }, 'Twilio webhook failed');
        if (!res.headersSent) res.status(500).type('text/plain').send('could not record the event');
      }
    };

  router.post(
    '/status',
    handle(async (req, res) => {
      const query = parse(StatusQuery, req.query, 'query');
      const body = parse(StatusBody, req.body, 'body');
      if (body.QueueTime !== undefined && body.QueueTime > 0) {
        warn({
          code: 'TWILIO_QUEUEING',
          message: `Twilio queued a call for ${body.QueueTime} ms: dialing above the account's calls per second`,
          attemptId: query.attemptId,
          providerCallId: body.ParentCallSid ?? body.CallSid,
          queueTimeMs: body.QueueTime,
        });
      }
      const event = statusEvent(query, body, eventTime(body.Timestamp, now));
      if (event) await options.sink.handleCallEvent(event);
      res.status(204).end();
    }),
  );

  router.post(
    '/amd',
    handle(async (req, res) => {
      const { attemptId } = parse(AttemptQuery, req.query, 'query');
      const body = parse(AmdBody, req.body, 'body');
      const event: CallEvent = {
        type: 'amd',
        attemptId,
        providerCallId: body.CallSid,
        answeredBy: body.AnsweredBy,
        at: now(),
      };
      // The beep has just sounded: act on the call in parallel with recording the result.
      const action = options.machineHandler
        ?.handleMachineDetection(attemptId, body.CallSid, body.AnsweredBy)
        .catch((err: unknown) => logger.error({ err, attemptId }, 'could not act on the AMD result'));
      await options.sink.handleCallEvent(event);
      await action;
      res.status(204).end();
    }),
  );

  router.post(
    '/gather',
    handle(async (req, res) => {
      const query = parse(GatherQuery, req.query, 'query');
      const body = parse(GatherBody, req.body, 'body');
      const digits = body.Digits ?? '';
      if (digits) {
        try {
          await options.sink.handleCallEvent({
            type: 'gather',
            attemptId: query.attemptId,
            providerCallId: body.CallSid,
            digits,
            at: now(),
          });
        } catch (err) {
          // The person is on the line: answer them even if recording the digit failed.
          logger.error({ err, attemptId: query.attemptId }, 'could not record keypad input');
        }
      }
      sendTwiml(
        res,
        gatherReplyTwiml({
          digits,
          ...(query.transferTo ? { transferTo: query.transferTo } : {}),
          ...(query.callerId ? { callerId: query.callerId } : {}),
        }),
      );
    }),
  );

  router.post(
    '/recording',
    handle(async (req, res) => {
      const { attemptId } = parse(AttemptQuery, req.query, 'query');
      const body = parse(RecordingBody, req.body, 'body');
      if (body.RecordingStatus === undefined || body.RecordingStatus === 'completed') {
        await options.sink.handleCallEvent({
          type: 'recording',
          attemptId,
          providerCallId: body.CallSid,
          recordingUrl: body.RecordingUrl,
          durationSec: body.RecordingDuration,
          at: eventTime(body.Timestamp, now),
        });
      }
      res.status(204).end();
    }),
  );

  router.post(
    '/twiml/:flow',
    handle(async (req, res) => {
      const { attemptId } = parse(AttemptQuery, req.query, 'query');
      parse(TwimlBody, req.body, 'body');
      const query: Record<string, string> = { flow: String(req.params.flow) };
      for (const [key, value] of Object.entries(req.query)) {
        if (typeof value === 'string') query[key] = value;
      }
      sendTwiml(res, await options.flows.twimlFor(attemptId, query));
    }),
  );

  /** End of the connect/click-to-call `<Dial>`: the bridge is over, so is the call. */
  router.post(
    '/dial-action',
    handle(async (req, res) => {
      parse(AttemptQuery, req.query, 'query');
      sendTwiml(res, hangupTwiml());
    }),
  );

  router.post(
    '/whisper',
    handle(async (req, res) => {
      const { text } = parse(WhisperQuery, req.query, 'query');
      sendTwiml(res, whisperTwiml(text));
    }),
  );

  return router;
}

/**
 * A status callback as a CallEvent. For click-to-call the contact leg is the call that counts, reported under
 * the parent call's SID (the one the engine holds and can hang up); the rep's leg only matters when the rep
 * never answered, in which case the contact was never dialed and the attempt ends as canceled.
 */
export function statusEvent(
  query: z.output<typeof StatusQuery>,
  body: z.output<typeof StatusBody>,
  at: number,
): CallEvent | undefined {
  const base = {
    type: 'status' as const,
    attemptId: query.attemptId,
    providerCallId: query.leg === 'contact' ? (body.ParentCallSid ?? body.CallSid) : body.CallSid,
    ...(body.SequenceNumber !== undefined ? { sequence: body.SequenceNumber } : {}),
    at,
  };
  if (query.leg === 'rep') {
    const repNeverAnswered = ['busy', 'no-answer', 'failed', 'canceled'].includes(body.CallStatus);
    return repNeverAnswered ? { ...base, status: 'canceled' } : undefined;
  }
  return {
    ...base,
    status: body.CallStatus,
    ...(body.CallDuration !== undefined ? { durationSec: body.CallDuration } : {}),
    ...(body.ErrorCode !== undefined ? { errorCode: body.ErrorCode } : {}),
    ...(body.SipResponseCode !== undefined ? { sipResponseCode: body.SipResponseCode } : {}),
  };
}
