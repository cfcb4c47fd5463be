/**
 * TwiML for every call flow, built with the SDK's VoiceResponse (it escapes text and URLs). Pure functions:
 * flow + URLs in, XML out, so the same builders serve inline `twiml` on calls.create and the TwiML endpoints.
 */
import twilio from 'twilio';
import type { Message } from '../../domain/settings.js';

type VoiceResponse = InstanceType<typeof twilio.twiml.VoiceResponse>;
type SayAttributes = Parameters<VoiceResponse['say']>[0] & object;

/** The status events the dialer follows on every leg. */
export const CALL_PROGRESS_EVENTS = ['initiated', 'ringing', 'answered', 'completed'] as const;

/** `${publicBaseUrl}/twilio/${path}?a=b...`; trailing slashes on the base are ignored. */
export function webhookUrl(
  publicBaseUrl: string,
  path: string,
  query: Record<string, string | undefined>,
): string {
  const url = new URL(`${publicBaseUrl.replace(/\/+$/, '')}/twilio/${path.replace(/^\/+/, '')}`);
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) url.searchParams.set(key, value);
  }
  return url.toString();
}

/**
 * Twilio's webhook connection overrides: by default Twilio retries a callback once, and only when it could not
 * connect or read a response (rp=ct,rt); a 500 from us is never retried. `rc` (retries, 0-5) and `rp=all`
 * (4xx, 5xx, connect and read timeouts) make a status/AMD/recording event the sink failed to record come back.
 * The overrides travel as the URL fragment: a fragment is never part of an HTTP request (RFC 3986), so the
 * request we receive, and the URL Twilio signs, carry no fragment; the router validates signatures over the
 * URL without it (and also accepts one over the URL with it, see webhooks.ts).
 */
export const CALLBACK_CONNECTION_OVERRIDES = 'rc=3&rp=all';

/** A callback Twilio reports events to (status, AMD, recording): `webhookUrl` + the retry overrides. */
export function callbackUrl(
  publicBaseUrl: string,
  path: string,
  query: Record<string, string | undefined>,
): string {
  return `${webhookUrl(publicBaseUrl, path, query)}#${CALLBACK_CONNECTION_OVERRIDES}`;
}

/** Adds `<Say>` or `<Play>` for a message to a response or a verb that nests them (Gather). */
export function appendMessage(target: Pick<VoiceResponse, 'say' | 'play'>, message: Message): void {
  if ('playUrl' in message) {
    target.play(message.playUrl);
    return;
  }
  const attributes: Record<string, string> = {};
  if (message.voice) attributes.voice = message.voice;
  if (message.language) attributes.language = message.language;
  target.say(attributes as SayAttributes, message.say);
}

/** Flow 1: bridge the answered lead to the target(s); several numbers make a hunt group (first to answer wins). */
export function connectTwiml(options: {
  targets: string[];
  callerId: string;
  actionUrl: string;
  /** TwiML URL played to the agent before the bridge (e.g. "Autodial lead: Jane Doe"). */
  whisperUrl?: string;
  timeoutSec?: number;
}): string {
  if (options.targets.length === 0) throw new Error('connect flow needs at least one target');
  const response = new twilio.twiml.VoiceResponse();
  const dial = response.dial({
    callerId: options.callerId,
    answerOnBridge: true,
    action: options.actionUrl,
    method: 'POST',
    ...(options.timeoutSec ? { timeout: options.timeoutSec } : {}),
  });
  for (const target of options.targets) {
    dial.number(options.whisperUrl ? { url: options.whisperUrl, method: 'POST' } : {}, target);
  }
  return response.toString();
}

/**
 * Flow 2: the reminder. With `gatherActionUrl` the message is wrapped in a one-digit Gather; with no input it
 * is repeated once, then the call says goodbye and hangs up. Without it the message plays once and the call ends.
 */
export function reminderTwiml(options: { message: Message; gatherActionUrl?: string }): string {
  const response = new twilio.twiml.VoiceResponse();
  if (!options.gatherActionUrl) {
    appendMessage(response, options.message);
    response.hangup();
    return response.toString();
  }
  for (let round = 0; round < 2; round++) {
    const gather = response.gather({
      input: ['dtmf'],
      numDigits: 1,
      timeout: 5,
      action: options.gatherActionUrl,
      method: 'POST',
    });
    appendMessage(gather, options.message);
  }
  response.say('We did not receive a response. Goodbye.');
  response.hangup();
  return response.toString();
}

/** What the reminder's keypad answer means. */
export type GatherChoice = 'confirm' | 'person-or-new-time' | 'other';

export function gatherChoice(digits: string): GatherChoice {
  if (digits === '1') return 'confirm';
  if (digits === '2') return 'person-or-new-time';
  return 'other';
}

/** Answer to the reminder's keypad input: thanks, a transfer to a person, or a promise to call back. */
export function gatherReplyTwiml(options: {
  digits: string;
  transferTo?: string;
  callerId?: string;
}): string {
  const response = new twilio.twiml.VoiceResponse();
  switch (gatherChoice(options.digits)) {
    case 'confirm':
      response.say('Thank you, your appointment is confirmed. Goodbye.');
      response.hangup();
      break;
    case 'person-or-new-time':
      if (options.transferTo) {
        response.say('Please hold while we connect you.');
        response.dial(options.callerId ? { callerId: options.callerId } : {}, options.transferTo);
      } else {
        response.say('Thank you. We will call you back to find a new time. Goodbye.');
        response.hangup();
      }
      break;
    default:
      response.say('Thank you. Goodbye.');
      response.hangup();
  }
  return response.toString();
}

/** Flow 3: leave the voicemail after the beep, then hang up. */
export function voicemailTwiml(message: Message): string {
  const response = new twilio.twiml.VoiceResponse();
  appendMessage(response, message);
  response.hangup();
  return response.toString();
}

export function hangupTwiml(): string {
  const response = new twilio.twiml.VoiceResponse();
  response.hangup();
  return response.toString();
}

/**
 * Flow 4: click-to-call. This TwiML runs on the rep's leg once the rep answers; it dials the contact with the
 * campaign caller ID and reports the CONTACT leg's progress to `statusCallbackUrl`.
 */
export function clickToCallTwiml(options: {
  contactNumber: string;
  callerId: string;
  statusCallbackUrl: string;
  actionUrl?: string;
  timeoutSec?: number;
}): string {
  const response = new twilio.twiml.VoiceResponse();
  const dial = response.dial({
    callerId: options.callerId,
    answerOnBridge: true,
    ...(options.actionUrl ? { action: options.actionUrl, method: 'POST' } : {}),
    ...(options.timeoutSec ? { timeout: options.timeoutSec } : {}),
  });
  dial.number(
    {
      statusCallback: options.statusCallbackUrl,
      statusCallbackEvent: [...CALL_PROGRESS_EVENTS],
      statusCallbackMethod: 'POST',
    },
    options.contactNumber,
  );
  return response.toString();
}

/**
 * Flow 5: safe-harbor message for a predictive call nobody could take within 2 s: the recorded message (which
 * identifies the caller and offers an opt-out) plays, then the call ends.
 */
export function safeHarborTwiml(message: Message): string {
  return voicemailTwiml(message);
}

/**
 * Flow 6, the lead's side of an agents' campaign: silence while the engine finds an idle agent (it routes the
 * call within 2 s with `leadToAgentTwiml` or `safeHarborTwiml`); a call the engine never routes ends.
 */
export function agentHoldTwiml(maxWaitSec = 10): string {
  const response = new twilio.twiml.VoiceResponse();
  response.pause({ length: maxWaitSec });
  response.hangup();
  return response.toString();
}

/**
 * The agent's pinned audio leg: the agent dials in (or the browser connects) once and stays in the conference,
 * which starts with them and ends when they leave; silence (no hold music) between leads.
 */
export function agentJoinTwiml(conference: string): string {
  const response = new twilio.twiml.VoiceResponse();
  const dial = response.dial();
  dial.conference(
    {
      startConferenceOnEnter: true,
      endConferenceOnExit: true,
      beep: 'false',
      waitUrl: '',
    },
    conference,
  );
  return response.toString();
}

/**
 * An answered lead joins the agent's pinned conference: the agent hears a short tone as the lead enters; the
 * lead's leaving does not end the conference (the agent stays for the next lead).
 */
export function leadToAgentTwiml(conference: string): string {
  const response = new twilio.twiml.VoiceResponse();
  const dial = response.dial();
  dial.conference(
    {
      startConferenceOnEnter: false,
      endConferenceOnExit: false,
      beep: 'onEnter',
    },
    conference,
  );
  return response.toString();
}

/** A plain message call (message campaigns with no keypad answer). */
export function messageTwiml(message: Message): string {
  return voicemailTwiml(message);
}

/** Tells the person on the line why nothing more happens (a click-to-call refused when the rep answered). */
export function sayAndHangupTwiml(text: string): string {
  const response = new twilio.twiml.VoiceResponse();
  response.say(text);
  response.hangup();
  return response.toString();
}

/** Played to the agent before the bridge. */
export function whisperTwiml(text: string): string {
  const response = new twilio.twiml.VoiceResponse();
  response.say(text);
  return response.toString();
}
