import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  foldCallEvent,
  foldCallEvents,
  initialProgress,
  isFinal,
  toCallResult,
} from '../../src/domain/call-progress.js';
import type { AnsweredBy, CallEvent, CallStatus } from '../../src/domain/call.js';

const attemptId = 'att-1';
const sid = 'CA00000000000000000000000000000001';

function status(s: CallStatus, sequence: number | undefined, extra: Partial<CallEvent> = {}): CallEvent {
  return {
    type: 'status',
    attemptId,
    providerCallId: sid,
    status: s,
    sequence,
    at: 1000 + (sequence ?? 0),
    ...extra,
  } as CallEvent;
}

/** Realistic event sets of one call: a Twilio status path, optional AMD, keypad digits, recordings, retries. */
const callEvents: fc.Arbitrary<CallEvent[]> = fc
  .record({
    path: fc.constantFrom<CallStatus[]>(
      ['queued', 'initiated', 'ringing', 'in-progress', 'completed'],
      ['initiated', 'ringing', 'in-progress', 'completed'],
      ['initiated', 'ringing', 'busy'],
      ['initiated', 'ringing', 'no-answer'],
      ['initiated', 'failed'],
      ['queued', 'canceled'],
      ['initiated', 'ringing', 'canceled'],
    ),
    withSequence: fc.boolean(),
    duration: fc.option(fc.integer({ min: 0, max: 3600 }), { nil: undefined }),
    errorCode: fc.option(fc.constantFrom(13224, 31005, 21220), { nil: undefined }),
    sip: fc.option(fc.constantFrom(200, 404, 486, 487, 503), { nil: undefined }),
    amd: fc.array(
      fc.constantFrom<AnsweredBy>(
        'human',
        'machine_start',
        'machine_end_beep',
        'machine_end_silence',
        'fax',
        'unknown',
      ),
      { maxLength: 2 },
    ),
    digits: fc.array(fc.constantFrom('1', '2', '9', '12'), { maxLength: 2 }),
    recordings: fc.array(
      fc.record({ url: fc.constantFrom('https://r/a', 'https://r/b'), sec: fc.integer({ min: 0, max: 60 }) }),
      { maxLength: 2 },
    ),
    // A late, conflicting final (e.g. a hangup racing a completion) with its own sequence number.
    extraFinal: fc.option(fc.constantFrom<CallStatus>('completed', 'canceled', 'failed'), { nil: undefined }),
  })
  .map((c) => {
    const events: CallEvent[] = c.path.map((s, i) => {
      const final = i === c.path.length - 1;
      return status(
        s,
        c.withSequence ? i : undefined,
        final ? { durationSec: c.duration, errorCode: c.errorCode, sipResponseCode: c.sip } : {},
      );
    });
    if (c.extraFinal) events.push(status(c.extraFinal, c.withSequence ? c.path.length : undefined));
    for (const a of c.amd) events.push({ type: 'amd', attemptId, providerCallId: sid, answeredBy: a, at: 5 });
    for (const d of c.digits)
      events.push({ type: 'gather', attemptId, providerCallId: sid, digits: d, at: 6 });
    for (const r of c.recordings) {
      events.push({
        type: 'recording',
        attemptId,
        providerCallId: sid,
        recordingUrl: r.url,
        durationSec: r.sec,
        at: 7,
      });
    }
    return events;
  });

/** Any order and any duplication of the same events. */
const replayed = callEvents.chain((events) =>
  fc
    .tuple(
      fc.array(fc.integer({ min: 0, max: events.length - 1 }), { maxLength: events.length * 2 }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), {
        minLength: events.length * 3,
        maxLength: events.length * 3,
      }),
    )
    .map(([dupes, keys]) => {
      const all = [...events, ...dupes.map((i) => events[i]!)];
      const shuffled = all
        .map((e, i) => ({ e, k: keys[i] ?? 0 }))
        .sort((a, b) => a.k - b.k)
        .map((x) => x.e);
      return { events, shuffled };
    }),
);

describe('foldCallEvent', () => {
  it("folds any shuffle and duplication of a call's events to the in-order result", () => {
    fc.assert(
      fc.property(replayed, ({ events, shuffled }) => {
        expect(foldCallEvents(shuffled)).toEqual(foldCallEvents(events));
      }),
      { numRuns: 500 },
    );
  });

  it('is idempotent: folding an event twice changes nothing', () => {
    fc.assert(
      fc.property(callEvents, (events) => {
        const p = foldCallEvents(events);
        for (const e of events) expect(foldCallEvent(p, e)).toEqual(p);
      }),
    );
  });

  it('never lets an earlier status overwrite a final one', () => {
    const done = foldCallEvents([status('completed', 4, { durationSec: 42 })]);
    const late = foldCallEvents([status('ringing', 2), status('in-progress', 3)], done);
    expect(late.status).toBe('completed');
    expect(late.durationSec).toBe(42);
    expect(isFinal(late)).toBe(true);
  });

  it('a completed call never regresses to another final status, whatever its sequence number', () => {
    // A 42-second conversation, then a stray BUSY with a higher sequence (issue 9, defect 8): still completed.
    const talked = status('completed', 5, { durationSec: 42 });
    const stray = status('busy', 9);
    for (const order of [
      [talked, stray],
      [stray, talked],
    ]) {
      const p = foldCallEvents(order);
      expect(p.status).toBe('completed');
      expect(p.durationSec).toBe(42);
    }
  });

  it('property: once any event says completed, the fold says completed (a final status never regresses)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            s: fc.constantFrom<CallStatus>(
              'ringing',
              'in-progress',
              'busy',
              'no-answer',
              'failed',
              'canceled',
            ),
            seq: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
          }),
          { maxLength: 6 },
        ),
        fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
        fc.nat(),
        (others, completedSeq, at) => {
          const events = others.map((o) => status(o.s, o.seq));
          events.splice(at % (events.length + 1), 0, status('completed', completedSeq));
          expect(foldCallEvents(events).status).toBe('completed');
        },
      ),
    );
  });

  it('between two finals that are not completed prefers the higher provider sequence', () => {
    const a = status('busy', 5);
    const b = status('canceled', 6);
    expect(foldCallEvents([a, b]).status).toBe('canceled');
    expect(foldCallEvents([b, a]).status).toBe('canceled');
    expect(foldCallEvents([b, a]).sequence).toBe(6);
  });

  it('tracks answered and merges AMD, digits and the recording', () => {
    const p = foldCallEvents([
      status('initiated', 0),
      status('ringing', 1),
      { type: 'amd', attemptId, providerCallId: sid, answeredBy: 'human', at: 3 },
      { type: 'gather', attemptId, providerCallId: sid, digits: '1', at: 4 },
      {
        type: 'recording',
        attemptId,
        providerCallId: sid,
        recordingUrl: 'https://r/x',
        durationSec: 9,
        at: 6,
      },
    ]);
    expect(p).toEqual({
      status: 'ringing',
      sequence: 1,
      providerCallId: sid,
      answeredBy: 'human',
      digits: '1',
      recordingUrl: 'https://r/x',
      recordingDurationSec: 9,
      answered: true,
    });
    expect(isFinal(p)).toBe(false);
    expect(foldCallEvents([status('ringing', 1), status('no-answer', 2)]).answered).toBe(false);
  });
});

describe('toCallResult', () => {
  it('builds the classifier input from a finished call', () => {
    const p = foldCallEvents([
      status('in-progress', 2),
      status('completed', 3, { durationSec: 31, sipResponseCode: 200 }),
      { type: 'amd', attemptId, providerCallId: sid, answeredBy: 'machine_end_beep', at: 3 },
    ]);
    expect(toCallResult(p, 'connect', { voicemailDropped: true, priorLikelyInvalid: 2 })).toEqual({
      status: 'completed',
      answeredBy: 'machine_end_beep',
      durationSec: 31,
      sipResponseCode: 200,
      flow: 'connect',
      voicemailDropped: true,
      priorLikelyInvalid: 2,
    });
  });

  it('refuses a call that has not finished', () => {
    expect(() => toCallResult(initialProgress(), 'reminder', { priorLikelyInvalid: 0 })).toThrow(
      /not finished/,
    );
    expect(() =>
      toCallResult(foldCallEvents([status('ringing', 1)]), 'reminder', { priorLikelyInvalid: 0 }),
    ).toThrow(/status ringing/);
  });
});
