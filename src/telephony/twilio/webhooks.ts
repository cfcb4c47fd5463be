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
const intField = (what: string) =>
  z
    .string()
    .regex(/^-?\d+$/, `expected ${what} as a whole number`)
    .transform(Number)
    .optional();

const AttemptQuery = z.object({ attemptId: z.string().min(1, 'expected the attemptId of the call') });

const StatusQuery = AttemptQuery.extend({ leg: z.enum(['rep', 'contact']).optional() });
const StatusBody = z.object({
  CallSid,
  CallStatus: z.enum(CALL_STATUSES, { message: `expected one of ${CALL_STATUSES.join(', ')}` }),
  ParentCallSid: CallSid.optional(),
  SequenceNumber: intField('the sequence number'),
  CallDuration: intField('the call duration in seconds'),
  ErrorCode: intField('the Twilio error code'),
  SipResponseCode: intField('the SIP response code'),
  QueueTime: intField('the queue time in milliseconds'),
  Timestamp: z.string().optional(),
});

const AmdBody = z.object({
  CallSid,
  AnsweredBy: z.enum(ANSWERED_BY, { message: `expected one of ${ANSWERED_BY.join(', ')}` }),
  MachineDetectionDuration: intField('the detection time in milliseconds'),
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
  RecordingUrl: z.url({ message: 'expected the recording URL' }),
  RecordingDuration: z
    .string()
    .regex(/^\d+$/, 'expected the recording duration in seconds')
    .transform(Number),
  RecordingStatus: z.string().optional(),
  Timestamp: z.string().optional(),
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

/** Twilio's Timestamp is RFC 2822 ("Tue, 26 Jul 2022 14:14:47 +0000"). */
function eventTime(timestamp: string | undefined, now: () => number): number {
  const parsed = timestamp ? Date.parse(timestamp) : NaN;
  return Number.isFinite(parsed) ? parsed : now();
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

  router.use(express.urlencoded({ extended: false, limit: '64kb' }));

  // Signature first: an unsigned request learns nothing, not even which field was wrong.
  router.use((req, res, next) => {
    const signature = req.header('X-Twilio-Signature');
    const url = baseUrl + req.originalUrl;
    const params = (req.body ?? {}) as Record<string, unknown>;
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
