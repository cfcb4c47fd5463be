import { describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import twilio from 'twilio';
import type { AnsweredBy, CallEvent } from '../../../src/domain/call.js';
import type { CallEventSink } from '../../../src/telephony/telephony.js';
import type { TelephonyWarning } from '../../../src/telephony/twilio/twilio-telephony.js';
import { createTwilioWebhookRouter } from '../../../src/telephony/twilio/webhooks.js';
import { callbackUrl } from '../../../src/telephony/twilio/twiml.js';
import { childNames, childrenNamed, parseXml } from './xml.js';

const authToken = 'test-auth-token-0123456789';
const base = 'https://dialer.example.com';
const callSid = `CA${'1'.repeat(32)}`;
const parentSid = `CA${'2'.repeat(32)}`;

function setup(options: { failingSink?: boolean } = {}) {
  const events: CallEvent[] = [];
  const warnings: TelephonyWarning[] = [];
  const machine: { attemptId: string; callSid: string; answeredBy: AnsweredBy }[] = [];
  const sink: CallEventSink = {
    handleCallEvent: async (event) => {
      if (options.failingSink) throw new Error('store down');
      events.push(event);
    },
  };
  const app = express();
  app.use(
    '/twilio',
    createTwilioWebhookRouter({
      authToken,
      publicBaseUrl: base,
      sink,
      flows: { twimlFor: (attemptId, query) => `<Response><Say>${attemptId} ${query.flow}</Say></Response>` },
      machineHandler: {
        handleMachineDetection: async (attemptId, sid, answeredBy) => {
          machine.push({ attemptId, callSid: sid, answeredBy });
        },
      },
      onWarning: (w) => warnings.push(w),
      now: () => 1_700_000_000_000,
    }),
  );
  return { app, events, warnings, machine };
}

/** Posts like Twilio does: form body, signature over the public URL (or `signedUrl`) and the params. */
function post(
  app: express.Express,
  pathAndQuery: string,
  params: Record<string, string>,
  signedUrl?: string,
) {
  const signature = twilio.getExpectedTwilioSignature(authToken, signedUrl ?? base + pathAndQuery, params);
  return request(app).post(pathAndQuery).type('form').set('X-Twilio-Signature', signature).send(params);
}

const completed = {
  CallSid: callSid,
  CallStatus: 'completed',
  SequenceNumber: '3',
  CallDuration: '42',
  SipResponseCode: '200',
  Timestamp: 'Tue, 14 Nov 2023 22:13:20 +0000',
  AccountSid: `AC${'a'.repeat(32)}`,
};

describe('signature checks', () => {
  it('a valid status callback reaches the sink as a CallEvent', async () => {
    const { app, events } = setup();
    await post(app, '/twilio/status?attemptId=att-1', completed).expect(204);
    expect(events).toEqual([
      {
        type: 'status',
        attemptId: 'att-1',
        providerCallId: callSid,
        status: 'completed',
        sequence: 3,
        durationSec: 42,
        sipResponseCode: 200,
        at: Date.parse('2023-11-14T22:13:20Z'),
      },
    ]);
  });

  it('a tampered parameter → 403 and nothing reaches the sink', async () => {
    const { app, events } = setup();
    const signature = twilio.getExpectedTwilioSignature(
      authToken,
      `${base}/twilio/status?attemptId=att-1`,
      completed,
    );
    await request(app)
      .post('/twilio/status?attemptId=att-1')
      .type('form')
      .set('X-Twilio-Signature', signature)
      .send({ ...completed, CallStatus: 'busy' })
      .expect(403);
    expect(events).toEqual([]);
  });

  it('a tampered query (another attempt) → 403', async () => {
    const { app, events } = setup();
    const signature = twilio.getExpectedTwilioSignature(
      authToken,
      `${base}/twilio/status?attemptId=att-1`,
      completed,
    );
    await request(app)
      .post('/twilio/status?attemptId=att-2')
      .type('form')
      .set('X-Twilio-Signature', signature)
      .send(completed)
      .expect(403);
    expect(events).toEqual([]);
  });

  it('a signature over the Host-header URL instead of the public base URL → 403', async () => {
    const { app, events } = setup();
    const hostUrl = 'http://127.0.0.1:3000/twilio/status?attemptId=att-1';
    await post(app, '/twilio/status?attemptId=att-1', completed, hostUrl)
      .set('Host', '127.0.0.1:3000')
      .expect(403);
    expect(events).toEqual([]);
  });

  it('holds behind a proxy: the public URL signature passes whatever the Host header says', async () => {
    const { app, events } = setup();
    await post(app, '/twilio/status?attemptId=att-1', completed)
      .set('Host', 'internal-lb:8080')
      .set('X-Forwarded-Proto', 'http')
      .expect(204);
    expect(events).toHaveLength(1);
  });

  it('a missing signature header → 403', async () => {
    const { app, events } = setup();
    await request(app).post('/twilio/status?attemptId=att-1').type('form').send(completed).expect(403);
    expect(events).toEqual([]);
  });

  it('a signature made with another auth token → 403', async () => {
    const { app } = setup();
    const signature = twilio.getExpectedTwilioSignature(
      'another-token-0000000',
      `${base}/twilio/status?attemptId=att-1`,
      completed,
    );
    await request(app)
      .post('/twilio/status?attemptId=att-1')
      .type('form')
      .set('X-Twilio-Signature', signature)
      .send(completed)
      .expect(403);
  });
});

describe('bad bodies', () => {
  it('→ 400 naming the field and why, nothing reaches the sink', async () => {
    const { app, events } = setup();
    const res = await post(app, '/twilio/status?attemptId=att-1', {
      ...completed,
      CallStatus: 'exploded',
    }).expect(400);
    expect(res.body.details).toMatch(/^body\.CallStatus: expected one of queued, initiated/);
    const res2 = await post(app, '/twilio/status?attemptId=att-1', {
      ...completed,
      CallDuration: 'long',
    }).expect(400);
    expect(res2.body.details).toMatch(
      /body\.CallDuration: expected the call duration in seconds as a whole number/,
    );
    const res3 = await post(app, '/twilio/status', completed).expect(400);
    expect(res3.body.details).toMatch(/query\.attemptId/);
    const res4 = await post(app, '/twilio/amd?attemptId=att-1', {
      CallSid: 'nope',
      AnsweredBy: 'human',
    }).expect(400);
    expect(res4.body.details).toMatch(/body\.CallSid: expected a Twilio call SID/);
    expect(events).toEqual([]);
  });
});

describe('status callbacks', () => {
  it('maps error codes, warns on queueing, and accepts duplicates', async () => {
    const { app, events, warnings } = setup();
    const failed = {
      CallSid: callSid,
      CallStatus: 'failed',
      SequenceNumber: '1',
      ErrorCode: '13224',
      SipResponseCode: '404',
      QueueTime: '850',
    };
    await post(app, '/twilio/status?attemptId=att-1', failed).expect(204);
    await post(app, '/twilio/status?attemptId=att-1', failed).expect(204);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      status: 'failed',
      errorCode: 13224,
      sipResponseCode: 404,
      sequence: 1,
      at: 1_700_000_000_000,
    });
    expect(warnings[0]).toMatchObject({ code: 'TWILIO_QUEUEING', queueTimeMs: 850, attemptId: 'att-1' });
  });

  it("click-to-call: the contact leg is reported under the parent call; the rep's leg only when the rep never answered", async () => {
    const { app, events } = setup();
    const child = { CallSid: callSid, ParentCallSid: parentSid, CallStatus: 'ringing', SequenceNumber: '1' };
    await post(app, '/twilio/status?attemptId=att-1&leg=contact', child).expect(204);
    await post(app, '/twilio/status?attemptId=att-1&leg=rep', {
      CallSid: parentSid,
      CallStatus: 'in-progress',
    }).expect(204);
    await post(app, '/twilio/status?attemptId=att-2&leg=rep', {
      CallSid: parentSid,
      CallStatus: 'no-answer',
    }).expect(204);
    expect(events).toEqual([
      {
        type: 'status',
        attemptId: 'att-1',
        providerCallId: parentSid,
        status: 'ringing',
        sequence: 1,
        at: 1_700_000_000_000,
      },
      {
        type: 'status',
        attemptId: 'att-2',
        providerCallId: parentSid,
        status: 'canceled',
        at: 1_700_000_000_000,
      },
    ]);
  });

  it('a sink failure answers 500 so the event is not silently dropped', async () => {
    const { app } = setup({ failingSink: true });
    await post(app, '/twilio/status?attemptId=att-1', completed).expect(500);
  });
});

describe('AMD, gather, recording and TwiML', () => {
  it('AMD result reaches the sink and the machine handler', async () => {
    const { app, events, machine } = setup();
    await post(app, '/twilio/amd?attemptId=att-1', {
      CallSid: callSid,
      AnsweredBy: 'machine_end_beep',
      MachineDetectionDuration: '4200',
    }).expect(204);
    expect(events).toEqual([
      {
        type: 'amd',
        attemptId: 'att-1',
        providerCallId: callSid,
        answeredBy: 'machine_end_beep',
        at: 1_700_000_000_000,
      },
    ]);
    expect(machine).toEqual([{ attemptId: 'att-1', callSid, answeredBy: 'machine_end_beep' }]);
  });

  it('gather: digit 1 → gather event and thanks', async () => {
    const { app, events } = setup();
    const res = await post(app, '/twilio/gather?attemptId=att-1', { CallSid: callSid, Digits: '1' }).expect(
      200,
    );
    expect(res.type).toBe('text/xml');
    expect(childNames(parseXml(res.text))).toEqual(['Say', 'Hangup']);
    expect(events).toEqual([
      { type: 'gather', attemptId: 'att-1', providerCallId: callSid, digits: '1', at: 1_700_000_000_000 },
    ]);
  });

  it('gather: digit 2 → transfer to the signed transfer target', async () => {
    const { app, events } = setup();
    const path = `/twilio/gather?attemptId=att-1&transferTo=${encodeURIComponent('+15551110009')}&callerId=${encodeURIComponent('+15559990000')}`;
    const res = await post(app, path, { CallSid: callSid, Digits: '2' }).expect(200);
    const dial = childrenNamed(parseXml(res.text), 'Dial')[0]!;
    expect(dial.text).toBe('+15551110009');
    expect(dial.attrs.callerId).toBe('+15559990000');
    expect(events[0]).toMatchObject({ type: 'gather', digits: '2' });
  });

  it('gather: bad digits → 400', async () => {
    const { app } = setup();
    const res = await post(app, '/twilio/gather?attemptId=att-1', { CallSid: callSid, Digits: 'abc' }).expect(
      400,
    );
    expect(res.body.details).toMatch(/body\.Digits/);
  });

  it('recording completed → recording event', async () => {
    const { app, events } = setup();
    await post(app, '/twilio/recording?attemptId=att-1', {
      CallSid: callSid,
      RecordingSid: `RE${'3'.repeat(32)}`,
      RecordingUrl: 'https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE3',
      RecordingDuration: '37',
      RecordingStatus: 'completed',
    }).expect(204);
    expect(events).toEqual([
      {
        type: 'recording',
        attemptId: 'att-1',
        providerCallId: callSid,
        recordingUrl: 'https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE3',
        durationSec: 37,
        at: 1_700_000_000_000,
      },
    ]);
  });

  it('TwiML endpoint answers the flow from twimlFor', async () => {
    const { app } = setup();
    const res = await post(app, '/twilio/twiml/reminder?attemptId=att-9', { CallSid: callSid }).expect(200);
    expect(res.type).toBe('text/xml');
    expect(parseXml(res.text).children[0]!.text).toBe('att-9 reminder');
  });

  it('dial action hangs up; whisper says the text', async () => {
    const { app } = setup();
    const res = await post(app, '/twilio/dial-action?attemptId=att-1', {
      CallSid: callSid,
      DialCallStatus: 'completed',
    }).expect(200);
    expect(childNames(parseXml(res.text))).toEqual(['Hangup']);
    const res2 = await post(app, '/twilio/whisper?text=Lead%3A%20Jane', { CallSid: callSid }).expect(200);
    expect(parseXml(res2.text).children[0]!.text).toBe('Lead: Jane');
  });
});

describe('callback retries (connection overrides in the URL fragment)', () => {
  const configured = callbackUrl(base, 'status', { attemptId: 'att-1' });
  const [requested, fragment] = configured.split('#') as [string, string];
  const pathAndQuery = requested.slice(base.length);

  it('every event callback asks Twilio to retry failures, 5xx included', () => {
    expect(new URLSearchParams(fragment)).toEqual(new URLSearchParams('rc=3&rp=all'));
    expect(requested).toBe(`${base}/twilio/status?attemptId=att-1`);
  });

  it('Twilio requests (and signs) the URL without the fragment: the signature is valid', async () => {
    const { app, events } = setup();
    await post(app, pathAndQuery, completed, requested).expect(204);
    expect(events).toHaveLength(1);
  });

  it('a signature over the configured URL, fragment included, is accepted too', async () => {
    const { app, events } = setup();
    await post(app, pathAndQuery, completed, configured).expect(204);
    expect(events).toHaveLength(1);
  });

  it('a signature over the URL with another fragment is rejected', async () => {
    const { app, events } = setup();
    await post(app, pathAndQuery, completed, `${requested}#rc=5&rp=all`).expect(403);
    expect(events).toEqual([]);
  });

  it('the sink failing answers 500, which those overrides make Twilio retry; the retry is recorded', async () => {
    let failures = 1;
    const events: CallEvent[] = [];
    const app = express();
    app.use(
      '/twilio',
      createTwilioWebhookRouter({
        authToken,
        publicBaseUrl: base,
        sink: {
          handleCallEvent: async (event) => {
            if (failures-- > 0) throw new Error('store down');
            events.push(event);
          },
        },
        flows: { twimlFor: () => '<Response/>' },
      }),
    );
    await post(app, pathAndQuery, completed, requested).expect(500);
    await post(app, pathAndQuery, completed, requested).expect(204);
    expect(events).toEqual([expect.objectContaining({ status: 'completed', attemptId: 'att-1' })]);
  });
});
