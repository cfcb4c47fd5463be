/**
 * The chaos run's judge finds each broken invariant in a carrier log built to break it (and nothing in a
 * clean one), so a 0 in its table means "looked and found none", not "could not see".
 */
import { describe, it, expect } from '@jest/globals';
import { DateTime } from 'luxon';
import type { CarrierCall } from '../../src/cli/chaos/carrier.js';
import { judge, type ChaosInput } from '../../src/cli/chaos/checks.js';
import type { CallRecord } from '../../src/crm/crm.js';

/** 19:00 in New York on a Monday: inside every legal window of the numbers below. */
const T = DateTime.fromISO('2030-01-07T19:00', { zone: 'America/New_York' }).toMillis();
const MIAMI = '+13055550123';
const TORONTO = '+14165550123';

let n = 0;
function call(partial: Partial<CarrierCall>): CarrierCall {
  n++;
  return {
    providerCallId: `CH${n}`,
    attemptId: `a${n}`,
    campaignId: 'c1',
    contactId: `k${n}`,
    to: MIAMI,
    worker: 'w0',
    receivedAt: T,
    endedAt: T + 10_000,
    answered: false,
    finalStatus: 'no-answer',
    finalAckedAt: T + 10_500,
    ...partial,
  };
}
const record = (c: CarrierCall, attemptId = c.attemptId): CallRecord => ({
  attemptId,
  portalId: 'p',
  contactId: c.contactId,
  campaignId: c.campaignId,
  toNumber: c.to,
  fromNumber: '+12125550100',
  startedAt: c.receivedAt,
  durationSec: 0,
  disposition: 'NO_ANSWER',
  outcomeLabel: 'No answer',
  providerCallId: c.providerCallId,
});

function input(calls: CarrierCall[], extra: Partial<ChaosInput> = {}): ChaosInput {
  return {
    calls,
    crmRecords: calls.map((c) => record(c)),
    dncSince: new Map(),
    zonesOf: new Map([
      [MIAMI, ['America/New_York']],
      [TORONTO, ['America/Toronto']],
    ]),
    campaignCaps: new Map([['c1', 2]]),
    accountCap: 3,
    leadsNotFinal: 0,
    ackedButUnfinished: 0,
    ...extra,
  };
}

describe('chaos judge', () => {
  it('finds nothing in a clean log', () => {
    const calls = [call({}), call({ to: TORONTO, receivedAt: T + 1_000 })];
    expect(Object.values(judge(input(calls))).every((v) => v === 0)).toBe(true);
  });

  it('finds each broken invariant', () => {
    const first = call({ answered: true, finalStatus: 'completed' });
    const overlapping = call({ receivedAt: T + 5_000, campaignId: 'c2' }); // same number, still live: double dial
    const redial = call({ contactId: first.contactId, receivedAt: T + 60_000, endedAt: T + 61_000 });
    const lateFlorida = call({ to: MIAMI, receivedAt: T + 61 * 60_000, endedAt: T + 62 * 60_000 }); // 20:01 FL
    const crowd = [1, 2, 3].map((i) =>
      call({ to: `+1212555010${i}`, receivedAt: T + 120_000 + i * 1_000, endedAt: T + 130_000 }),
    );
    const calls = [first, overlapping, redial, lateFlorida, ...crowd];
    const zonesOf = new Map([
      [MIAMI, ['America/New_York']],
      ...crowd.map((c): [string, string[]] => [c.to, ['America/New_York']]),
    ]);
    const figures = judge(
      input(calls, {
        zonesOf,
        dncSince: new Map([
          [TORONTO, 0],
          [crowd[0]!.to, T + 100_000],
        ]),
        crmRecords: [...calls.slice(1).map((c) => record(c)), record(calls[1]!, 'another-attempt')],
        leadsNotFinal: 2,
        ackedButUnfinished: 1,
      }),
    );
    expect(figures).toEqual({
      chaos_double_dials: 1,
      chaos_calls_outside_legal_hours: 1,
      chaos_dnc_dials: 1,
      chaos_over_cap: 1, // the third of the crowd: 3 live in c1 over its cap of 2 (the account's 3 is not passed)
      chaos_lost_leads: 2,
      chaos_answered_then_redialed: 1,
      chaos_dropped_final_statuses: 1,
      chaos_duplicate_crm_records: 1,
      chaos_missing_crm_records: 1,
    });
  });
});
