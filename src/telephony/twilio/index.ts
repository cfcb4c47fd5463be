/** The Twilio adapter: REST dialing, TwiML flows, signed webhooks and pure helpers. */
export * from './caller-id.js';
export * from './errors.js';
export * from './twiml.js';
export * from './twilio-telephony.js';
export * from './webhooks.js';
