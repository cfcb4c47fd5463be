import { describe, expect, it } from '@jest/globals';
import {
  clickToCallTwiml,
  connectTwiml,
  gatherReplyTwiml,
  hangupTwiml,
  reminderTwiml,
  safeHarborTwiml,
  voicemailTwiml,
  webhookUrl,
} from '../../../src/telephony/twilio/twiml.js';
import { childNames, childrenNamed, parseXml } from './xml.js';

const base = 'https://dialer.example.com';

describe('webhookUrl', () => {
  it('joins the public base, the path and the query, dropping undefined values', () => {
    expect(
      webhookUrl(`${base}/`, 'gather', { attemptId: 'a 1', transferTo: '+15551230000', x: undefined }),
    ).toBe(`${base}/twilio/gather?attemptId=a+1&transferTo=%2B15551230000`);
  });
});

describe('connectTwiml', () => {
  it('dials a hunt group with the caller ID, answerOnBridge and the action URL', () => {
    const xml = parseXml(
      connectTwiml({
        targets: ['+15551110001', '+15551110002'],
        callerId: '+15559990000',
        actionUrl: `${base}/twilio/dial-action?attemptId=a1`,
        whisperUrl: `${base}/twilio/whisper?text=Lead`,
      }),
    );
    expect(xml.name).toBe('Response');
    const [dial] = childrenNamed(xml, 'Dial');
    expect(dial!.attrs).toMatchObject({
      callerId: '+15559990000',
      answerOnBridge: 'true',
      action: `${base}/twilio/dial-action?attemptId=a1`,
      method: 'POST',
    });
    const numbers = childrenNamed(dial!, 'Number');
    expect(numbers.map((n) => n.text)).toEqual(['+15551110001', '+15551110002']);
    expect(numbers[0]!.attrs.url).toBe(`${base}/twilio/whisper?text=Lead`);
  });

  it('refuses an empty target list', () => {
    expect(() => connectTwiml({ targets: [], callerId: '+15559990000', actionUrl: base })).toThrow(/target/);
  });
});

describe('reminderTwiml', () => {
  it('gathers one digit around the message, repeats once, then says goodbye and hangs up', () => {
    const action = `${base}/twilio/gather?attemptId=a1&transferTo=%2B15551110001`;
    const xml = parseXml(
      reminderTwiml({ message: { say: 'Your appointment is tomorrow & at 9.' }, gatherActionUrl: action }),
    );
    expect(childNames(xml)).toEqual(['Gather', 'Gather', 'Say', 'Hangup']);
    for (const gather of childrenNamed(xml, 'Gather')) {
      expect(gather.attrs).toMatchObject({ numDigits: '1', action, method: 'POST', input: 'dtmf' });
      expect(childrenNamed(gather, 'Say')[0]!.text).toBe('Your appointment is tomorrow & at 9.');
    }
  });

  it('plays an audio message once and hangs up when no answer is gathered', () => {
    const xml = parseXml(reminderTwiml({ message: { playUrl: 'https://cdn.example.com/r.mp3' } }));
    expect(childNames(xml)).toEqual(['Play', 'Hangup']);
    expect(xml.children[0]!.text).toBe('https://cdn.example.com/r.mp3');
  });

  it('passes voice and language to Say', () => {
    const xml = parseXml(reminderTwiml({ message: { say: 'Hola', voice: 'Polly.Lupe', language: 'es-US' } }));
    expect(xml.children[0]!.attrs).toEqual({ voice: 'Polly.Lupe', language: 'es-US' });
  });
});

describe('gatherReplyTwiml', () => {
  it('1 confirms: thanks and hangs up', () => {
    const xml = parseXml(gatherReplyTwiml({ digits: '1', transferTo: '+15551110001' }));
    expect(childNames(xml)).toEqual(['Say', 'Hangup']);
    expect(xml.children[0]!.text).toMatch(/confirmed/);
  });

  it('2 transfers to a person when there is a transfer target', () => {
    const xml = parseXml(
      gatherReplyTwiml({ digits: '2', transferTo: '+15551110001', callerId: '+15559990000' }),
    );
    expect(childNames(xml)).toEqual(['Say', 'Dial']);
    const dial = childrenNamed(xml, 'Dial')[0]!;
    expect(dial.text).toBe('+15551110001');
    expect(dial.attrs.callerId).toBe('+15559990000');
  });

  it('2 without a transfer target promises a call back about a new time', () => {
    const xml = parseXml(gatherReplyTwiml({ digits: '2' }));
    expect(childNames(xml)).toEqual(['Say', 'Hangup']);
    expect(xml.children[0]!.text).toMatch(/new time/);
  });

  it('anything else ends politely', () => {
    expect(childNames(parseXml(gatherReplyTwiml({ digits: '7' })))).toEqual(['Say', 'Hangup']);
  });
});

describe('voicemail, hangup and safe harbor', () => {
  it('plays the voicemail then hangs up', () => {
    const xml = parseXml(voicemailTwiml({ playUrl: 'https://cdn.example.com/vm.mp3' }));
    expect(childNames(xml)).toEqual(['Play', 'Hangup']);
  });

  it('hangup is just Hangup', () => {
    expect(childNames(parseXml(hangupTwiml()))).toEqual(['Hangup']);
  });

  it('safe harbor says the identifying message with its opt-out and hangs up', () => {
    const message = { say: 'This is Acme calling. To opt out press 9 or call 555-0100.' };
    const xml = parseXml(safeHarborTwiml(message));
    expect(childNames(xml)).toEqual(['Say', 'Hangup']);
    expect(xml.children[0]!.text).toBe(message.say);
  });
});

describe('clickToCallTwiml', () => {
  it("dials the contact with the campaign caller ID and follows the contact leg's statuses", () => {
    const statusUrl = `${base}/twilio/status?attemptId=a1&leg=contact`;
    const xml = parseXml(
      clickToCallTwiml({
        contactNumber: '+15552220000',
        callerId: '+15559990000',
        statusCallbackUrl: statusUrl,
      }),
    );
    const dial = childrenNamed(xml, 'Dial')[0]!;
    expect(dial.attrs.callerId).toBe('+15559990000');
    const number = childrenNamed(dial, 'Number')[0]!;
    expect(number.text).toBe('+15552220000');
    expect(number.attrs).toEqual({
      statusCallback: statusUrl,
      statusCallbackEvent: 'initiated ringing answered completed',
      statusCallbackMethod: 'POST',
    });
  });
});
