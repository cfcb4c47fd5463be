import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { ANSWERED_BY, FINAL_CALL_STATUSES } from '../../src/domain/call.js';
import type { AnsweredBy, FinalCallStatus } from '../../src/domain/call.js';
import {
  DISPOSITIONS,
  ERROR_CODE_TABLE,
  OUTCOME_CATEGORIES,
  OUTCOME_TABLE,
  SIP_CODE_TABLE,
  applyWrapUp,
  classifyOutcome,
} from '../../src/domain/outcome.js';
import type {
  CallResult,
  CallResultFlow,
  Classification,
  Disposition,
  OutcomeCategory,
} from '../../src/domain/outcome.js';

const FLOWS: readonly CallResultFlow[] = ['connect', 'reminder', 'message', 'click-to-call', 'safe-harbor'];

const result = (r: Partial<CallResult> & Pick<CallResult, 'status'>): CallResult => ({
  flow: 'connect',
  priorLikelyInvalid: 0,
  ...r,
});

describe('classifyOutcome: explicit cases', () => {
  const cases: Array<[string, CallResult, OutcomeCategory, string, Disposition]> = [
    [
      'human in connect flow',
      result({ status: 'completed', answeredBy: 'human', durationSec: 60 }),
      'CONVERSATION',
      'reached',
      'CONNECTED',
    ],
    [
      'no AMD in connect flow',
      result({ status: 'completed', durationSec: 60 }),
      'CONVERSATION',
      'reached',
      'CONNECTED',
    ],
    [
      'AMD unknown in click-to-call',
      result({ status: 'completed', answeredBy: 'unknown', flow: 'click-to-call', durationSec: 40 }),
      'CONVERSATION',
      'reached',
      'CONNECTED',
    ],
    ['2 s, no AMD', result({ status: 'completed', durationSec: 2 }), 'SHORT_CALL', 'retry', 'NO_ANSWER'],
    [
      '2 s, AMD unknown',
      result({ status: 'completed', answeredBy: 'unknown', durationSec: 2 }),
      'SHORT_CALL',
      'retry',
      'NO_ANSWER',
    ],
    [
      '2 s, AMD human',
      result({ status: 'completed', answeredBy: 'human', durationSec: 2 }),
      'CONVERSATION',
      'reached',
      'CONNECTED',
    ],
    [
      'exactly 3 s, no AMD',
      result({ status: 'completed', durationSec: 3 }),
      'CONVERSATION',
      'reached',
      'CONNECTED',
    ],
    [
      'machine, no voicemail',
      result({ status: 'completed', answeredBy: 'machine_start' }),
      'VOICEMAIL',
      'retry',
      'NO_ANSWER',
    ],
    [
      'machine, voicemail left',
      result({ status: 'completed', answeredBy: 'machine_end_beep', voicemailDropped: true }),
      'VOICEMAIL',
      'retry',
      'LEFT_VOICEMAIL',
    ],
    ['fax', result({ status: 'completed', answeredBy: 'fax' }), 'FAX', 'permanent-failure', 'WRONG_NUMBER'],
    [
      'reminder pressed 1',
      result({ status: 'completed', flow: 'reminder', digits: '1' }),
      'CONFIRMED',
      'reached',
      'CONFIRMED',
    ],
    [
      'reminder pressed 2',
      result({ status: 'completed', flow: 'reminder', digits: '2' }),
      'CALLBACK_REQUESTED',
      'reached',
      'CALLBACK_REQUESTED',
    ],
    [
      'reminder pressed 3',
      result({ status: 'completed', flow: 'reminder', digits: '3' }),
      'DECLINED',
      'reached',
      'DECLINED',
    ],
    [
      'reminder pressed 9',
      result({ status: 'completed', flow: 'reminder', digits: '9' }),
      'UNRECOGNIZED_INPUT',
      'reached',
      'LEFT_LIVE_MESSAGE',
    ],
    [
      'reminder no input',
      result({ status: 'completed', flow: 'reminder', answeredBy: 'human' }),
      'NO_INPUT',
      'retry',
      'LEFT_LIVE_MESSAGE',
    ],
    [
      'reminder empty input',
      result({ status: 'completed', flow: 'reminder', digits: '' }),
      'NO_INPUT',
      'retry',
      'LEFT_LIVE_MESSAGE',
    ],
    [
      'reminder to a machine',
      result({ status: 'completed', flow: 'reminder', answeredBy: 'machine_end_silence', digits: '1' }),
      'VOICEMAIL',
      'retry',
      'NO_ANSWER',
    ],
    [
      'message to a person',
      result({ status: 'completed', flow: 'message', answeredBy: 'human', durationSec: 30 }),
      'LIVE_MESSAGE',
      'reached',
      'LEFT_LIVE_MESSAGE',
    ],
    [
      'safe-harbor abandon',
      result({ status: 'completed', flow: 'safe-harbor', answeredBy: 'human' }),
      'ABANDONED',
      'retry',
      'LEFT_LIVE_MESSAGE',
    ],
    ['busy', result({ status: 'busy' }), 'BUSY', 'retry', 'BUSY'],
    ['no-answer', result({ status: 'no-answer' }), 'NO_ANSWER', 'retry', 'NO_ANSWER'],
    ['canceled', result({ status: 'canceled' }), 'CANCELED', 'retry', 'NO_ANSWER'],
    ['failed SIP 603', result({ status: 'failed', sipResponseCode: 603 }), 'REJECTED', 'retry', 'NO_ANSWER'],
    ['failed SIP 607', result({ status: 'failed', sipResponseCode: 607 }), 'REJECTED', 'retry', 'NO_ANSWER'],
    ['failed SIP 608', result({ status: 'failed', sipResponseCode: 608 }), 'REJECTED', 'retry', 'NO_ANSWER'],
    [
      'failed SIP 404',
      result({ status: 'failed', sipResponseCode: 404 }),
      'INVALID_NUMBER',
      'permanent-failure',
      'FAILED',
    ],
    [
      'failed SIP 484',
      result({ status: 'failed', sipResponseCode: 484 }),
      'INVALID_NUMBER',
      'permanent-failure',
      'FAILED',
    ],
    ['failed SIP 486', result({ status: 'failed', sipResponseCode: 486 }), 'BUSY', 'retry', 'BUSY'],
    ['failed SIP 480', result({ status: 'failed', sipResponseCode: 480 }), 'NO_ANSWER', 'retry', 'NO_ANSWER'],
    [
      'failed SIP 503',
      result({ status: 'failed', sipResponseCode: 503 }),
      'CARRIER_ERROR',
      'retry',
      'FAILED',
    ],
    ['failed, nothing known', result({ status: 'failed' }), 'CARRIER_ERROR', 'retry', 'FAILED'],
    [
      'failed 21211',
      result({ status: 'failed', errorCode: 21211 }),
      'INVALID_NUMBER',
      'permanent-failure',
      'FAILED',
    ],
    [
      'failed 21214',
      result({ status: 'failed', errorCode: 21214 }),
      'INVALID_NUMBER',
      'permanent-failure',
      'FAILED',
    ],
    [
      'failed 21217',
      result({ status: 'failed', errorCode: 21217 }),
      'INVALID_NUMBER',
      'permanent-failure',
      'FAILED',
    ],
    [
      'failed 21614',
      result({ status: 'failed', errorCode: 21614 }),
      'INVALID_NUMBER',
      'permanent-failure',
      'FAILED',
    ],
    [
      'failed 13224 first time',
      result({ status: 'failed', errorCode: 13224 }),
      'LIKELY_INVALID',
      'retry',
      'FAILED',
    ],
    [
      'failed 13224 again',
      result({ status: 'failed', errorCode: 13224, priorLikelyInvalid: 1 }),
      'LIKELY_INVALID_REPEATED',
      'permanent-failure',
      'FAILED',
    ],
    [
      'failed 21210',
      result({ status: 'failed', errorCode: 21210 }),
      'ACCOUNT_ERROR',
      'pause-campaign',
      'FAILED',
    ],
    [
      'failed 21215 beats SIP 404',
      result({ status: 'failed', errorCode: 21215, sipResponseCode: 404 }),
      'ACCOUNT_ERROR',
      'pause-campaign',
      'FAILED',
    ],
    [
      'failed 13227',
      result({ status: 'failed', errorCode: 13227 }),
      'ACCOUNT_ERROR',
      'pause-campaign',
      'FAILED',
    ],
    [
      'failed 20003',
      result({ status: 'failed', errorCode: 20003 }),
      'ACCOUNT_ERROR',
      'pause-campaign',
      'FAILED',
    ],
    [
      'failed unknown code',
      result({ status: 'failed', errorCode: 31005 }),
      'CARRIER_ERROR',
      'retry',
      'FAILED',
    ],
    [
      'completed call with a stray code',
      result({ status: 'completed', errorCode: 21211, durationSec: 50 }),
      'CONVERSATION',
      'reached',
      'CONNECTED',
    ],
  ];
  it.each(cases)('%s', (_name, input, category, effectKind, disposition) => {
    const c = classifyOutcome(input);
    expect(c.category).toBe(category);
    expect(c.effect.kind).toBe(effectKind);
    expect(c.disposition).toBe(disposition);
    expect(c.label.length).toBeGreaterThan(0);
  });

  it('marks carrier errors and the first 13224 as technical, busy/no-answer/canceled/rejected not', () => {
    const technical = (r: CallResult) => {
      const e = classifyOutcome(r).effect;
      return e.kind === 'retry' ? e.technicalError : undefined;
    };
    expect(technical(result({ status: 'failed' }))).toBe(true);
    expect(technical(result({ status: 'failed', errorCode: 13224 }))).toBe(true);
    expect(technical(result({ status: 'busy' }))).toBe(false);
    expect(technical(result({ status: 'no-answer' }))).toBe(false);
    expect(technical(result({ status: 'canceled' }))).toBe(false);
    expect(technical(result({ status: 'failed', sipResponseCode: 603 }))).toBe(false);
  });

  it('pauses the campaign on account errors with the code and an alert that names it', () => {
    const c = classifyOutcome(result({ status: 'failed', errorCode: 21210 }));
    expect(c.effect).toEqual({
      kind: 'pause-campaign',
      code: 21210,
      alert: expect.stringContaining('21210'),
    });
    if (c.effect.kind === 'pause-campaign') expect(c.effect.alert).toMatch(/caller ID/);
  });
});

describe('classifyOutcome: every status × AMD result × error-code class × flow', () => {
  const amd: Array<AnsweredBy | undefined> = [undefined, ...ANSWERED_BY];
  const codeClasses: Array<[string, number | undefined]> = [
    ['none', undefined],
    ['invalid', 21211],
    ['likely-invalid', 13224],
    ['account', 21212],
    ['unlisted', 30001],
  ];
  const rows: Array<
    [FinalCallStatus, AnsweredBy | undefined, string, number | undefined, CallResultFlow, number]
  > = [];
  for (const status of FINAL_CALL_STATUSES)
    for (const answeredBy of amd)
      for (const [cls, code] of codeClasses)
        for (const flow of FLOWS)
          for (const prior of [0, 1]) rows.push([status, answeredBy, cls, code, flow, prior]);

  /** The brief's rules, stated once more independently of the implementation's tables. */
  function expected(
    status: FinalCallStatus,
    a: AnsweredBy | undefined,
    cls: string,
    flow: CallResultFlow,
    prior: number,
  ): [OutcomeCategory, string] {
    if (status === 'failed') {
      if (cls === 'invalid') return ['INVALID_NUMBER', 'permanent-failure'];
      if (cls === 'likely-invalid')
        return prior >= 1 ? ['LIKELY_INVALID_REPEATED', 'permanent-failure'] : ['LIKELY_INVALID', 'retry'];
      if (cls === 'account') return ['ACCOUNT_ERROR', 'pause-campaign'];
      return ['CARRIER_ERROR', 'retry'];
    }
    if (status === 'busy') return ['BUSY', 'retry'];
    if (status === 'no-answer') return ['NO_ANSWER', 'retry'];
    if (status === 'canceled') return ['CANCELED', 'retry'];
    if (a === 'fax') return ['FAX', 'permanent-failure'];
    if (a?.startsWith('machine_')) return ['VOICEMAIL', 'retry'];
    if (flow === 'reminder') return ['CONFIRMED', 'reached']; // rows below press 1
    if (flow === 'safe-harbor') return ['ABANDONED', 'retry'];
    if (flow === 'message') return ['LIVE_MESSAGE', 'reached'];
    return ['CONVERSATION', 'reached'];
  }

  it(`classifies all ${rows.length} combinations`, () => {
    for (const [status, answeredBy, cls, errorCode, flow, prior] of rows) {
      const input: CallResult = { status, flow, priorLikelyInvalid: prior, durationSec: 45, digits: '1' };
      if (answeredBy !== undefined) input.answeredBy = answeredBy;
      if (errorCode !== undefined) input.errorCode = errorCode;
      const c = classifyOutcome(input);
      const [category, kind] = expected(status, answeredBy, cls, flow, prior);
      expect({ status, answeredBy, cls, flow, prior, category: c.category, kind: c.effect.kind }).toEqual({
        status,
        answeredBy,
        cls,
        flow,
        prior,
        category,
        kind,
      });
    }
  });

  it('covers every error code and SIP code of the exported tables', () => {
    for (const [code, row] of Object.entries(ERROR_CODE_TABLE)) {
      const c = classifyOutcome(result({ status: 'failed', errorCode: Number(code) }));
      expect(c.category).toBe(row.category);
    }
    for (const [sip, category] of Object.entries(SIP_CODE_TABLE)) {
      expect(classifyOutcome(result({ status: 'failed', sipResponseCode: Number(sip) })).category).toBe(
        category,
      );
    }
  });
});

const callResultArb: fc.Arbitrary<CallResult> = fc.record(
  {
    status: fc.constantFrom(...FINAL_CALL_STATUSES),
    answeredBy: fc.constantFrom(...ANSWERED_BY),
    errorCode: fc.oneof(
      fc.constantFrom(...Object.keys(ERROR_CODE_TABLE).map(Number)),
      fc.integer({ min: 0, max: 99999 }),
    ),
    sipResponseCode: fc.oneof(
      fc.constantFrom(...Object.keys(SIP_CODE_TABLE).map(Number)),
      fc.integer({ min: 100, max: 699 }),
    ),
    durationSec: fc.integer({ min: 0, max: 7200 }),
    flow: fc.constantFrom(...FLOWS),
    digits: fc.string({ maxLength: 4 }),
    voicemailDropped: fc.boolean(),
    priorLikelyInvalid: fc.nat({ max: 5 }),
  },
  { requiredKeys: ['status', 'flow', 'priorLikelyInvalid'] },
);

const EFFECT_KINDS = ['reached', 'retry', 'permanent-failure', 'dnc', 'callback', 'pause-campaign'];

describe('classifyOutcome: properties', () => {
  it('is total: every result maps to exactly one known category, effect and disposition', () => {
    fc.assert(
      fc.property(callResultArb, (r) => {
        const c = classifyOutcome(r);
        expect(OUTCOME_CATEGORIES).toContain(c.category);
        expect(EFFECT_KINDS).toContain(c.effect.kind);
        expect(DISPOSITIONS).toContain(c.disposition);
        expect(c.label).not.toBe('');
        expect(classifyOutcome(r)).toEqual(c); // deterministic
      }),
      { numRuns: 2000 },
    );
  });

  it('only completed calls are reached; only listed account codes pause; the carrier never says DNC', () => {
    fc.assert(
      fc.property(callResultArb, (r) => {
        const c = classifyOutcome(r);
        if (c.effect.kind === 'reached') expect(r.status).toBe('completed');
        if (c.effect.kind === 'pause-campaign') {
          expect(r.status).toBe('failed');
          expect(ERROR_CODE_TABLE[r.errorCode!]?.category).toBe('ACCOUNT_ERROR');
          expect(c.effect.code).toBe(r.errorCode);
        }
        expect(['dnc', 'callback']).not.toContain(c.effect.kind);
        if (r.status === 'busy' || r.status === 'no-answer' || r.status === 'canceled')
          expect(c.effect.kind).toBe('retry');
      }),
      { numRuns: 2000 },
    );
  });

  it('every category row of the table has a label and a known disposition', () => {
    for (const category of OUTCOME_CATEGORIES) {
      expect(DISPOSITIONS).toContain(OUTCOME_TABLE[category].disposition);
      expect(OUTCOME_TABLE[category].label).not.toBe('');
    }
  });
});

describe('applyWrapUp', () => {
  const connected = classifyOutcome(result({ status: 'completed', answeredBy: 'human', durationSec: 90 }));
  const voicemail = classifyOutcome(result({ status: 'completed', answeredBy: 'machine_start' }));
  const carrier = classifyOutcome(result({ status: 'failed' }));
  const invalid = classifyOutcome(result({ status: 'failed', errorCode: 21211 }));
  const account = classifyOutcome(result({ status: 'failed', errorCode: 21210 }));
  const at = Date.UTC(2025, 2, 4, 15);

  const cases: Array<[string, Classification, Parameters<typeof applyWrapUp>[1], Partial<Classification>]> = [
    ['nothing picked keeps the call', connected, {}, connected],
    ['notes alone keep the call', connected, { notes: 'nice chat' }, connected],
    [
      'DNC flag wins over everything',
      connected,
      { doNotCall: true, callbackAt: at, wrongNumber: true },
      { category: 'DO_NOT_CALL', effect: { kind: 'dnc' }, disposition: 'DO_NOT_CALL' },
    ],
    [
      'DNC disposition',
      voicemail,
      { disposition: 'DO_NOT_CALL' },
      { effect: { kind: 'dnc' }, disposition: 'DO_NOT_CALL' },
    ],
    ['DNC even after an account error', account, { doNotCall: true }, { effect: { kind: 'dnc' } }],
    [
      'wrong number flag',
      connected,
      { wrongNumber: true, callbackAt: at },
      {
        category: 'WRONG_NUMBER',
        effect: { kind: 'permanent-failure', reason: 'WRONG_NUMBER' },
        disposition: 'WRONG_NUMBER',
      },
    ],
    [
      'wrong number disposition',
      connected,
      { disposition: 'WRONG_NUMBER' },
      { effect: { kind: 'permanent-failure', reason: 'WRONG_NUMBER' } },
    ],
    [
      'call me later',
      connected,
      { callbackAt: at, disposition: 'CONNECTED' },
      { category: 'CALLBACK', effect: { kind: 'callback', at }, disposition: 'CALLBACK_REQUESTED' },
    ],
    ['account error still pauses', account, { callbackAt: at, disposition: 'CONNECTED' }, account],
    [
      'rep says a voicemail was a person',
      voicemail,
      { disposition: 'CONNECTED' },
      { category: 'CONVERSATION', effect: { kind: 'reached' }, disposition: 'CONNECTED' },
    ],
    [
      'rep says declined',
      voicemail,
      { disposition: 'DECLINED' },
      { effect: { kind: 'reached' }, disposition: 'DECLINED' },
    ],
    [
      'rep says a connected call hit voicemail',
      connected,
      { disposition: 'LEFT_VOICEMAIL' },
      {
        category: 'VOICEMAIL',
        effect: { kind: 'retry', technicalError: false },
        disposition: 'LEFT_VOICEMAIL',
      },
    ],
    [
      'rep says busy after a connected call',
      connected,
      { disposition: 'BUSY' },
      { category: 'BUSY', effect: { kind: 'retry', technicalError: false }, disposition: 'BUSY' },
    ],
    [
      'renaming a carrier error keeps it technical',
      carrier,
      { disposition: 'NO_ANSWER' },
      {
        category: 'CARRIER_ERROR',
        effect: { kind: 'retry', technicalError: true },
        disposition: 'NO_ANSWER',
      },
    ],
    [
      'renaming an invalid number keeps it failed',
      invalid,
      { disposition: 'NO_ANSWER' },
      { effect: { kind: 'permanent-failure', reason: 'INVALID_NUMBER' }, disposition: 'NO_ANSWER' },
    ],
    ['an invalid callback time is ignored', connected, { callbackAt: Number.NaN }, connected],
  ];
  it.each(cases)('%s', (_name, base, wrapUp, expectedFields) => {
    expect(applyWrapUp(base, wrapUp)).toMatchObject(expectedFields);
  });

  it('never drops a DNC request, whatever else the wrap-up says', () => {
    fc.assert(
      fc.property(
        callResultArb,
        fc.record(
          {
            disposition: fc.constantFrom(...DISPOSITIONS),
            notes: fc.string(),
            wrongNumber: fc.boolean(),
            callbackAt: fc.integer({ min: 0, max: 2 ** 42 }),
          },
          { requiredKeys: [] },
        ),
        (r, wrapUp) => {
          const c = applyWrapUp(classifyOutcome(r), { ...wrapUp, doNotCall: true });
          expect(c.effect).toEqual({ kind: 'dnc' });
          expect(c.disposition).toBe('DO_NOT_CALL');
        },
      ),
    );
  });
});
