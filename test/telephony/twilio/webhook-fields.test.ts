/**
 * Signed webhooks whose fields Twilio could never send (issue 10 finding 8) are refused with the field named,
 * and nothing reaches the engine: a javascript: recording URL, a 400-digit sequence number, negative durations,
 * a year-275760 timestamp.
 */
import { describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import twilio from 'twilio';
import type { CallEvent } from '../../../src/domain/call.js';
import { createTwilioWebhookRouter } from '../../../src/telephony/twilio/webhooks.js';

const authToken = 'test-auth-token-0123456789';
const base = 'https://dialer.example.com';
const CallSid = `CA${'1'.repeat(32)}`;
const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);

function setup() {
  const events: CallEvent[] = [];
  const app = express();
  app.use(
    '/twilio',
    createTwilioWebhookRouter({
      authToken,
      publicBaseUrl: base,
      sink: { handleCallEvent: async (e) => void events.push(e) },
      flows: { twimlFor: () => '<Response/>' },
      now: () => NOW,
    }),
  );
  return { app, events };
}

function post(app: express.Express, path: string, params: Record<string, string>) {
  const signature = twilio.getExpectedTwilioSignature(authToken, base + path, params);
  return request(app).post(path).type('form').set('X-Twilio-Signature', signature).send(params);
}

const recording = {
  CallSid,
  RecordingUrl: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1',
  RecordingDuration: '12',
  RecordingStatus: 'completed',
  Timestamp: 'Fri, 04 Dec 2026 11:59:00 +0000',
};
const status = { CallSid, CallStatus: 'completed', SequenceNumber: '3', CallDuration: '42' };

describe('Twilio webhook fields', () => {
  it.each([
    [
      'javascript: URL',
      { RecordingUrl: 'javascript:alert(1)' },
      /RecordingUrl: expected an https recording URL/,
    ],
    ['http URL', { RecordingUrl: 'http://api.twilio.com/x' }, /RecordingUrl/],
    ['foreign host', { RecordingUrl: 'https://api.twilio.com.evil.net/x' }, /RecordingUrl/],
    ['credentials', { RecordingUrl: 'https://u:p@api.twilio.com/x' }, /RecordingUrl/],
    ['negative duration', { RecordingDuration: '-5' }, /RecordingDuration: expected the recording duration/],
    [
      'duration past a day',
      { RecordingDuration: '999999' },
      /RecordingDuration: expected .* between 0 and 86400/,
    ],
    [
      'year 275760',
      { Timestamp: 'Sat, 13 Sep 275760 00:00:00 +0000' },
      /Timestamp: expected an RFC 2822 time/,
    ],
    ['ISO timestamp', { Timestamp: '2026-12-04T12:00:00Z' }, /Timestamp/],
  ])('a recording callback with a %s → 400 naming the field', async (_what, change, reason) => {
    const { app, events } = setup();
    const res = await post(app, '/twilio/recording?attemptId=a1', { ...recording, ...change }).expect(400);
    expect(res.body.details).toMatch(reason);
    expect(events).toEqual([]);
  });

  it.each([
    [
      '400-digit sequence number',
      { SequenceNumber: '9'.repeat(400) },
      /SequenceNumber: expected the sequence number/,
    ],
    ['negative sequence number', { SequenceNumber: '-1' }, /SequenceNumber/],
    ['negative call duration', { CallDuration: '-42' }, /CallDuration/],
    ['call duration past a day', { CallDuration: '86401' }, /CallDuration: expected .* between 0 and 86400/],
    ['SIP code 999', { SipResponseCode: '999' }, /SipResponseCode/],
    ['exponent', { CallDuration: '1e3' }, /CallDuration/],
  ])('a status callback with a %s → 400 naming the field', async (_what, change, reason) => {
    const { app, events } = setup();
    const res = await post(app, '/twilio/status?attemptId=a1', { ...status, ...change }).expect(400);
    expect(res.body.details).toMatch(reason);
    expect(events).toEqual([]);
  });

  it('accepts what Twilio does send, regional API hosts included', async () => {
    const { app, events } = setup();
    await post(app, '/twilio/recording?attemptId=a1', recording).expect(204);
    await post(app, '/twilio/recording?attemptId=a1', {
      ...recording,
      RecordingUrl: 'https://api.dublin.ie1.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE2',
    }).expect(204);
    await post(app, '/twilio/status?attemptId=a1', status).expect(204);
    expect(events).toHaveLength(3);
    expect(events[0]).toMatchObject({
      type: 'recording',
      at: Date.UTC(2026, 11, 4, 11, 59, 0),
      durationSec: 12,
    });
  });
});
