import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import {
  emptyPreview,
  previewSummary,
  previewVerdict,
  tallyVerdict,
} from '../../src/domain/compliance-preview.js';
import { mayCallNow } from '../../src/domain/policy.js';
import type { LeadContext } from '../../src/domain/policy.js';
import { EMPTY_HISTORY } from '../../src/domain/retry.js';
import { AccountSettingsSchema, CampaignSettingsSchema } from '../../src/domain/settings.js';
import { leadContext, locationOf } from '../../src/engine/lead-context.js';

const HOUR = 3_600_000;
/** Monday 2030-01-07 14:00 in New York. */
const NOW = Date.UTC(2030, 0, 7, 19, 0, 0);
const account = AccountSettingsSchema.parse({});
const settings = CampaignSettingsSchema.parse({
  name: 'x',
  callerIds: ['+12125550000'],
  dialMode: { mode: 'message' },
  message: { say: 'hi' },
});

function lead(e164: string, extra: Partial<LeadContext> = {}): LeadContext {
  return {
    ...leadContext(settings, account, locationOf(e164, undefined, ['America/New_York']), EMPTY_HISTORY),
    ...extra,
  };
}

describe('compliance preview (domain)', () => {
  it('judges DNC, the Florida daily cap, no callable time and callable contacts', () => {
    expect(previewVerdict(NOW, lead('+12125550101'))).toBe('callable');
    expect(previewVerdict(NOW, lead('+12125550101', { doNotCall: true }))).toBe('doNotCall');
    const threeToday = {
      ...EMPTY_HISTORY,
      recentAttemptTimes: [NOW - 5 * HOUR, NOW - 3 * HOUR, NOW - HOUR],
      lastAttemptAt: NOW - HOUR,
    };
    expect(previewVerdict(NOW, lead('+13055550101', { history: threeToday }))).toBe('atDailyCap');
    // the same three calls in New York are fine: no daily cap there
    expect(previewVerdict(NOW, lead('+12125550101', { history: threeToday }))).toBe('callable');
    const closed = {
      ...lead('+12125550101'),
      rules: {
        ...lead('+12125550101').rules,
        windows: Object.fromEntries(
          Object.entries(account.windows).map(([d, w]) => [d, { ...w, enabled: false }]),
        ) as typeof account.windows,
      },
    };
    expect(previewVerdict(NOW, closed)).toBe('noCallableTime');
  });

  it('agrees with mayCallNow at any time: callable now is callable, capped or DNC is never dialable (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 14 * 24 }),
        fc.constantFrom('+12125550101', '+13055550101', '+14165550101'),
        (hours, e164) => {
          const now = NOW + hours * HOUR;
          const l = lead(e164);
          const history = {
            ...EMPTY_HISTORY,
            recentAttemptTimes: [now - 3 * HOUR, now - 2 * HOUR, now - HOUR],
            lastAttemptAt: now - HOUR,
          };
          for (const candidate of [l, { ...l, history }, { ...l, doNotCall: true }]) {
            const verdict = previewVerdict(now, candidate);
            if (mayCallNow(now, candidate).ok) expect(verdict).toBe('callable');
            if (verdict === 'atDailyCap' || verdict === 'doNotCall')
              expect(mayCallNow(now, candidate).ok).toBe(false);
          }
        },
      ),
    );
  });

  it('writes the summary the manager reads', () => {
    const t = emptyPreview();
    for (let i = 0; i < 1240; i++) tallyVerdict(t, 'callable', lead('+12125550101'));
    for (let i = 0; i < 3; i++) tallyVerdict(t, 'atDailyCap', lead('+13055550101'));
    for (let i = 0; i < 7; i++) tallyVerdict(t, 'noCallableTime', lead('+12125550101'));
    for (let i = 0; i < 22; i++) tallyVerdict(t, 'doNotCall', lead('+12125550101'));
    t.invalid = 31;
    t.total += 31;
    expect(previewSummary(t)).toBe(
      '1,240 of 1,303 contacts can be called; 31 invalid numbers, 22 Do-Not-Call, 7 with no callable time in the next 7 days, 3 Florida numbers already at 3 calls today',
    );
  });
});
