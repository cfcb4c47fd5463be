import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import twilio from 'twilio';
import type { AmdSettings } from '../../../src/domain/settings.js';
import { TelephonyError } from '../../../src/telephony/telephony.js';
import type { DialRequest } from '../../../src/telephony/telephony.js';
import {
  TwilioTelephony,
  createTwilioClient,
  machineAction,
} from '../../../src/telephony/twilio/twilio-telephony.js';
import type { TelephonyWarning } from '../../../src/telephony/twilio/twilio-telephony.js';
import { childNames, childrenNamed, parseXml } from './xml.js';

const accountSid = `AC${'a'.repeat(32)}`;
const callsPath = `/2010-04-01/Accounts/${accountSid}/Calls.json`;
const callPath = (sid: string) => `/2010-04-01/Accounts/${accountSid}/Calls/${sid}.json`;
const base = 'https://dialer.example.com';
const callSid = `CA${'1'.repeat(32)}`;
const noWait = { sleep: async () => {}, random: () => 0.5 };
/** The connection overrides every event callback URL carries (Twilio retries a callback we answer 5xx). */
const retried = '#rc=3&rp=all';

type Body = Record<string, string | string[]>;

/** Intercepts one calls.create and records the form body the SDK sent. */
function expectCreate(bodies: Body[], status = 201, reply: object = { sid: callSid, status: 'queued' }) {
  return nock('https://api.twilio.com')
    .post(callsPath, (body: Body) => {
      bodies.push(body);
      return true;
    })
    .reply(status, reply);
}

function request(overrides: Partial<DialRequest> = {}): DialRequest {
  return {
    attemptId: 'att-1',
    portalId: '42',
    campaignId: 'camp-1',
    contactId: 'c-1',
    to: '+15552220000',
    from: '+15559990000',
    flow: { kind: 'connect', targets: ['+15551110001'] },
    amd: { detection: 'off', onMachine: 'hangup' },
    ringTimeoutSec: 25,
    record: false,
    ...overrides,
  };
}

function adapter(
  onWarning?: (w: TelephonyWarning) => void,
  client = createTwilioClient(accountSid, 'test-token'),
) {
  return new TwilioTelephony({
    client,
    publicBaseUrl: `${base}/`,
    retry: noWait,
    ...(onWarning ? { onWarning } : {}),
  });
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});
afterAll(() => nock.enableNetConnect());

describe('TwilioTelephony.dial: the parameters Twilio receives', () => {
  it('sends status callbacks, the ring timeout and inline connect TwiML, with AMD off', async () => {
    const bodies: Body[] = [];
    expectCreate(bodies);
    const result = await adapter().dial(request());
    expect(result).toEqual({ providerCallId: callSid });
    const body = bodies[0]!;
    expect(body).toMatchObject({
      To: '+15552220000',
      From: '+15559990000',
      StatusCallback: `${base}/twilio/status?attemptId=att-1${retried}`,
      StatusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
      StatusCallbackMethod: 'POST',
      Timeout: '25',
    });
    for (const absent of ['MachineDetection', 'AsyncAmd', 'AsyncAmdStatusCallback', 'Record', 'Url']) {
      expect(body).not.toHaveProperty(absent);
    }
    const xml = parseXml(body.Twiml as string);
    const dial = childrenNamed(xml, 'Dial')[0]!;
    expect(dial.attrs).toMatchObject({
      callerId: '+15559990000',
      answerOnBridge: 'true',
      action: `${base}/twilio/dial-action?attemptId=att-1`,
    });
    expect(childrenNamed(dial, 'Number').map((n) => n.text)).toEqual(['+15551110001']);
  });

  it.each([
    ['detect', 'Enable'],
    ['detect-message-end', 'DetectMessageEnd'],
  ] as const)(
    'AMD %s → MachineDetection=%s, asynchronous, with the AMD callback',
    async (detection, expected) => {
      const bodies: Body[] = [];
      expectCreate(bodies);
      const amd: AmdSettings =
        detection === 'detect'
          ? { detection, onMachine: 'hangup' }
          : { detection, onMachine: 'drop-voicemail', voicemail: { say: 'Hi, call us back.' } };
      await adapter().dial(request({ amd }));
      expect(bodies[0]).toMatchObject({
        MachineDetection: expected,
        AsyncAmd: 'true',
        AsyncAmdStatusCallback: `${base}/twilio/amd?attemptId=att-1${retried}`,
        AsyncAmdStatusCallbackMethod: 'POST',
      });
    },
  );

  it('records with a recording status callback when the campaign records', async () => {
    const bodies: Body[] = [];
    expectCreate(bodies);
    await adapter().dial(request({ record: true, ringTimeoutSec: 40 }));
    expect(bodies[0]).toMatchObject({
      Record: 'true',
      RecordingStatusCallback: `${base}/twilio/recording?attemptId=att-1${retried}`,
      RecordingStatusCallbackMethod: 'POST',
      Timeout: '40',
    });
  });

  it('reminder: gathers one digit posting to the gather webhook with the transfer target', async () => {
    const bodies: Body[] = [];
    expectCreate(bodies);
    await adapter().dial(
      request({
        flow: {
          kind: 'reminder',
          message: { say: 'Reminder: tomorrow 9am.' },
          gather: true,
          transferTo: '+15551110009',
        },
      }),
    );
    const xml = parseXml(bodies[0]!.Twiml as string);
    const gather = childrenNamed(xml, 'Gather')[0]!;
    expect(gather.attrs.numDigits).toBe('1');
    const action = new URL(gather.attrs.action!);
    expect(action.origin + action.pathname).toBe(`${base}/twilio/gather`);
    expect(Object.fromEntries(action.searchParams)).toEqual({
      attemptId: 'att-1',
      transferTo: '+15551110009',
      callerId: '+15559990000',
    });
  });

  it('click-to-call: rings the rep, no AMD, and follows the contact leg', async () => {
    const bodies: Body[] = [];
    expectCreate(bodies);
    const clickToCall = request({
      to: '+15553330000',
      flow: { kind: 'click-to-call', contactNumber: '+15552220000' },
      amd: { detection: 'detect', onMachine: 'hangup' },
    });
    const tel = adapter();
    await tel.dial(clickToCall);
    const body = bodies[0]!;
    expect(body.To).toBe('+15553330000');
    expect(body.StatusCallback).toBe(`${base}/twilio/status?attemptId=att-1&leg=rep${retried}`);
    expect(body).not.toHaveProperty('MachineDetection');
    // The contact leg is fetched when the rep answers (so DNC and legal hours are checked again then).
    expect(body.Url).toBe(`${base}/twilio/twiml/click-to-call?attemptId=att-1`);
    expect(body).not.toHaveProperty('Twiml');
    const dial = childrenNamed(parseXml(tel.flowTwiml(clickToCall)), 'Dial')[0]!;
    expect(dial.attrs.callerId).toBe('+15559990000');
    const number = childrenNamed(dial, 'Number')[0]!;
    expect(number.text).toBe('+15552220000');
    expect(number.attrs.statusCallback).toBe(`${base}/twilio/status?attemptId=att-1&leg=contact${retried}`);
    expect(number.attrs.statusCallbackEvent).toBe('initiated ringing answered completed');
  });

  it('safe harbor: plays the message and hangs up', async () => {
    const bodies: Body[] = [];
    expectCreate(bodies);
    await adapter().dial(
      request({ flow: { kind: 'safe-harbor', message: { playUrl: 'https://cdn.example.com/sh.mp3' } } }),
    );
    expect(childNames(parseXml(bodies[0]!.Twiml as string))).toEqual(['Play', 'Hangup']);
  });

  it('fetches TwiML from our endpoint when the flow is too long to send inline', async () => {
    const bodies: Body[] = [];
    expectCreate(bodies);
    await adapter().dial(
      request({ flow: { kind: 'reminder', message: { say: 'x'.repeat(3000) }, gather: true } }),
    );
    expect(bodies[0]!.Url).toBe(`${base}/twilio/twiml/reminder?attemptId=att-1`);
    expect(bodies[0]).not.toHaveProperty('Twiml');
  });

  it('refuses a ring timeout under 15 s without calling Twilio', async () => {
    await expect(adapter().dial(request({ ringTimeoutSec: 10 }))).rejects.toThrow(/at least 15/);
  });

  it('is idempotent by attemptId: a repeated dial places one call', async () => {
    const bodies: Body[] = [];
    expectCreate(bodies);
    const tel = adapter();
    const [a, b] = await Promise.all([tel.dial(request()), tel.dial(request())]);
    expect(a).toEqual(b);
    expect(bodies).toHaveLength(1);
  });

  it('warns when Twilio reports queueing', async () => {
    const warnings: TelephonyWarning[] = [];
    expectCreate([], 201, { sid: callSid, status: 'queued', queue_time: '1200' });
    await adapter((w) => warnings.push(w)).dial(request());
    expect(warnings).toEqual([
      expect.objectContaining({ code: 'TWILIO_QUEUEING', queueTimeMs: 1200, attemptId: 'att-1' }),
    ]);
  });
});

describe('TwilioTelephony errors and retries', () => {
  it('429 then success is retried once, by the adapter (the only retry layer)', async () => {
    const bodies: Body[] = [];
    nock('https://api.twilio.com')
      .post(callsPath, (b: Body) => (bodies.push(b), true))
      .reply(429, { code: 20429, message: 'Too Many Requests', status: 429 });
    expectCreate(bodies);
    await expect(adapter().dial(request())).resolves.toEqual({ providerCallId: callSid });
    expect(bodies).toHaveLength(2);
  });

  it('a plain SDK client (autoRetry off by default) works the same', async () => {
    const bodies: Body[] = [];
    nock('https://api.twilio.com')
      .post(callsPath, (b: Body) => (bodies.push(b), true))
      .reply(429, { code: 20429, message: 'Too Many Requests', status: 429 });
    expectCreate(bodies);
    const tel = adapter(undefined, twilio(accountSid, 'test-token'));
    await expect(tel.dial(request())).resolves.toEqual({ providerCallId: callSid });
    expect(bodies).toHaveLength(2);
  });

  it('503 then success is retried', async () => {
    const bodies: Body[] = [];
    nock('https://api.twilio.com')
      .post(callsPath, (b: Body) => (bodies.push(b), true))
      .reply(503, { code: 20503, message: 'Service Unavailable', status: 503 });
    expectCreate(bodies);
    await expect(adapter().dial(request())).resolves.toEqual({ providerCallId: callSid });
    expect(bodies).toHaveLength(2);
  });

  it('gives up after a bounded number of 5xx with a retryable TelephonyError', async () => {
    let calls = 0;
    nock('https://api.twilio.com')
      .post(callsPath, () => (calls++, true))
      .times(4)
      .reply(500, { code: 20500, message: 'Internal Server Error', status: 500 });
    const err = await adapter()
      .dial(request())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TelephonyError);
    expect(err).toMatchObject({ httpStatus: 500, retryable: true });
    expect(calls).toBe(4);
  });

  it('400 with 21211 becomes TelephonyError 21211, not retried', async () => {
    let calls = 0;
    nock('https://api.twilio.com')
      .post(callsPath, () => (calls++, true))
      .reply(400, {
        code: 21211,
        message: "The 'To' number +1555 is not a valid phone number.",
        status: 400,
      });
    const err = await adapter()
      .dial(request())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TelephonyError);
    expect(err).toMatchObject({ code: 21211, httpStatus: 400, retryable: false });
    expect((err as Error).message).toMatch(/not a valid phone number/);
    expect(calls).toBe(1);
  });

  it('a failed dial can be tried again with the same attemptId', async () => {
    nock('https://api.twilio.com')
      .post(callsPath)
      .reply(400, { code: 21215, message: 'Geo permission', status: 400 });
    expectCreate([]);
    const tel = adapter();
    await expect(tel.dial(request())).rejects.toMatchObject({ code: 21215 });
    await expect(tel.dial(request())).resolves.toEqual({ providerCallId: callSid });
  });
});

describe('live call control', () => {
  it('hangup sets the call to completed, and is quiet when the call already ended', async () => {
    const bodies: Body[] = [];
    nock('https://api.twilio.com')
      .post(callPath(callSid), (b: Body) => (bodies.push(b), true))
      .reply(200, { sid: callSid, status: 'completed' });
    await adapter().hangup(callSid);
    expect(bodies).toEqual([{ Status: 'completed' }]);

    nock('https://api.twilio.com')
      .post(callPath(callSid))
      .reply(400, { code: 21220, message: 'Call is not in-progress', status: 400 });
    await expect(adapter().hangup(callSid)).resolves.toBeUndefined();
  });

  it('drops the voicemail after the beep when the campaign says so', async () => {
    const bodies: Body[] = [];
    expectCreate([]);
    nock('https://api.twilio.com')
      .post(callPath(callSid), (b: Body) => (bodies.push(b), true))
      .reply(200, { sid: callSid, status: 'in-progress' });
    const tel = adapter();
    const voicemail = { say: 'Hi, this is Acme. Please call us back.' };
    await tel.dial(
      request({ amd: { detection: 'detect-message-end', onMachine: 'drop-voicemail', voicemail } }),
    );
    await expect(tel.handleMachineDetection('att-1', callSid, 'machine_end_beep')).resolves.toBe(
      'drop-voicemail',
    );
    const xml = parseXml(bodies[0]!.Twiml as string);
    expect(childNames(xml)).toEqual(['Say', 'Hangup']);
    expect(xml.children[0]!.text).toBe(voicemail.say);
  });

  it('hangs up on a machine when the campaign says hangup, and leaves humans alone', async () => {
    const bodies: Body[] = [];
    expectCreate([]);
    nock('https://api.twilio.com')
      .post(callPath(callSid), (b: Body) => (bodies.push(b), true))
      .reply(200, { sid: callSid, status: 'in-progress' });
    const tel = adapter();
    await tel.dial(request({ amd: { detection: 'detect', onMachine: 'hangup' } }));
    await expect(tel.handleMachineDetection('att-1', callSid, 'human')).resolves.toBe('none');
    await expect(tel.handleMachineDetection('att-1', callSid, 'machine_start')).resolves.toBe('hangup');
    expect(childNames(parseXml(bodies[0]!.Twiml as string))).toEqual(['Hangup']);
    expect(bodies).toHaveLength(1);
  });

  it('plays the safe-harbor message on a live call', async () => {
    const bodies: Body[] = [];
    nock('https://api.twilio.com')
      .post(callPath(callSid), (b: Body) => (bodies.push(b), true))
      .reply(200, { sid: callSid, status: 'in-progress' });
    await expect(
      adapter().playSafeHarbor(callSid, { say: 'Acme calling; press 9 to opt out.' }),
    ).resolves.toBe(true);
    expect(childNames(parseXml(bodies[0]!.Twiml as string))).toEqual(['Say', 'Hangup']);
  });
});

describe('machineAction', () => {
  const vm = { say: 'vm' };
  it('maps each campaign setting and AMD result to one action', () => {
    expect(
      machineAction(
        { detection: 'detect-message-end', onMachine: 'drop-voicemail', voicemail: vm },
        'machine_end_silence',
      ),
    ).toBe('drop-voicemail');
    expect(
      machineAction(
        { detection: 'detect-message-end', onMachine: 'drop-voicemail', voicemail: vm },
        'machine_start',
      ),
    ).toBe('none');
    expect(
      machineAction({ detection: 'detect-message-end', onMachine: 'drop-voicemail', voicemail: vm }, 'fax'),
    ).toBe('hangup');
    expect(machineAction({ detection: 'detect', onMachine: 'hangup' }, 'machine_start')).toBe('hangup');
    expect(machineAction({ detection: 'detect', onMachine: 'connect' }, 'machine_start')).toBe('none');
    expect(machineAction({ detection: 'detect', onMachine: 'hangup' }, 'unknown')).toBe('none');
    expect(machineAction({ detection: 'off', onMachine: 'hangup' }, 'machine_start')).toBe('none');
  });
});
