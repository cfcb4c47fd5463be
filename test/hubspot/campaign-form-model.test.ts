/**
 * The campaign form's translation: settings -> form -> settings keeps every setting (so editing a campaign and
 * saving it unchanged sends back what was read), and the form's own checks name the field to fix.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  checkForm,
  emptyForm,
  fromSettings,
  toSettings,
  type CampaignForm,
} from '../../hubspot/app/pages/campaign-form/model';
import { formatDuration, formatEta, formatPercent } from '../../hubspot/app/lib/format';

const e164 = fc.integer({ min: 2_000_000_000, max: 9_999_999_999 }).map((n) => `+1${n}`);
const hhmm = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
  .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
const window = fc.record({ enabled: fc.boolean(), start: hhmm, end: hhmm });

const formArb: fc.Arbitrary<CampaignForm> = fc.record({
  name: fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() === s && s.length > 0),
  description: fc.string({ maxLength: 20 }),
  connectType: fc.constantFrom('number', 'hunt-group', 'agent') as fc.Arbitrary<CampaignForm['connectType']>,
  connectValue: e164,
  callerIds: fc.array(e164, { minLength: 1, maxLength: 3 }).map((a) => a.join('\n')),
  callerIdStrategy: fc.constantFrom('round-robin', 'local-presence') as fc.Arbitrary<
    CampaignForm['callerIdStrategy']
  >,
  startAt: fc.constantFrom('', '2026-12-07T09:00:00-05:00'),
  callsPerSecond: fc.integer({ min: 1, max: 100 }),
  maxConcurrentCalls: fc.integer({ min: 1, max: 1000 }),
  dialMode: fc.constantFrom('preview', 'progressive', 'power', 'predictive', 'message') as fc.Arbitrary<
    CampaignForm['dialMode']
  >,
  previewTimeoutSec: fc.integer({ min: 10, max: 3600 }),
  linesPerAgent: fc.integer({ min: 1, max: 10 }),
  maxAbandonRatePct: fc.integer({ min: 0, max: 3 }),
  amdDetection: fc.constantFrom('off', 'detect', 'detect-message-end') as fc.Arbitrary<
    CampaignForm['amdDetection']
  >,
  amdOnMachine: fc.constantFrom('hangup', 'drop-voicemail', 'connect') as fc.Arbitrary<
    CampaignForm['amdOnMachine']
  >,
  voicemailSay: fc.constantFrom('', 'Please call us back', 'https://cdn.example/vm.mp3'),
  message: fc.constantFrom('', 'Your appointment is tomorrow', 'https://cdn.example/msg.mp3'),
  gatherConfirmation: fc.boolean(),
  overrideWindows: fc.boolean(),
  windows: fc.record({
    monday: window,
    tuesday: window,
    wednesday: window,
    thursday: window,
    friday: window,
    saturday: window,
    sunday: window,
  }),
  noCallDates: fc.constantFrom('', '2026-12-25 Christmas Day', '2026-12-25 Christmas Day\n2027-01-01'),
  timeZone: fc.constantFrom('', 'America/Chicago'),
  retryStrategy: fc.constantFrom('smart', 'intervals') as fc.Arbitrary<CampaignForm['retryStrategy']>,
  retryIntensity: fc.constantFrom('aggressive', 'moderate', 'conservative') as fc.Arbitrary<
    CampaignForm['retryIntensity']
  >,
  retryDelays: fc
    .array(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 4 })
    .map((a) => a.join(', ')),
  maxAttempts: fc.option(fc.integer({ min: 1, max: 100 }), { nil: null }),
  maxRetryDays: fc.option(fc.integer({ min: 0, max: 365 }), { nil: null }),
  minGapMinutes: fc.integer({ min: 1, max: 10_080 }),
  ringTimeoutSec: fc.integer({ min: 15, max: 120 }),
  record: fc.boolean(),
  billingLabel: fc.constantFrom('', 'Sales EMEA'),
});

describe('campaign form model', () => {
  it('settings survive a round trip through the form', () => {
    fc.assert(
      fc.property(formArb, (form) => {
        const settings = toSettings(form);
        expect(toSettings(fromSettings(settings))).toEqual(settings);
      }),
    );
  });

  it('an empty form names each field to fix; a filled one has nothing to fix', () => {
    expect(checkForm(emptyForm())).toEqual({
      name: 'A campaign needs a name.',
      callerIds: 'Add at least one caller ID.',
      connectTo: 'Dial mode progressive needs somewhere to connect answered calls.',
    });
    const filled = { ...emptyForm(), name: 'x', callerIds: '+12125550111', connectValue: '+12125550100' };
    expect(checkForm(filled)).toEqual({});
    expect(checkForm({ ...filled, dialMode: 'message' })).toEqual({
      message: 'A message campaign needs a message to play.',
    });
    expect(checkForm({ ...filled, maxAttempts: null, maxRetryDays: null })).toEqual({
      'retry.maxAttempts': 'Set at least one stop condition: max attempts or max retry days.',
    });
    expect(checkForm({ ...filled, retryStrategy: 'intervals', retryDelays: '60, soon' })).toEqual({
      'retry.delaysMinutes': 'List the delays in whole minutes, separated by commas.',
    });
  });

  it('an https message becomes playUrl, text becomes say', () => {
    const base = { ...emptyForm(), name: 'x', callerIds: '+12125550111', dialMode: 'message' as const };
    expect(toSettings({ ...base, message: 'https://cdn.example/m.mp3' }).message).toEqual({
      playUrl: 'https://cdn.example/m.mp3',
    });
    expect(toSettings({ ...base, message: 'Hello' }).message).toEqual({ say: 'Hello' });
    expect(toSettings(base)).not.toHaveProperty('connectTo');
  });
});

describe('formatting', () => {
  it('formats rates, durations and time left', () => {
    expect(formatPercent(0.4234)).toBe('42.3%');
    expect(formatPercent(null)).toBe('—');
    expect(formatDuration(125)).toBe('2m 05s');
    expect(formatDuration(9)).toBe('9s');
    expect(formatEta(45)).toBe('about 45 min');
    expect(formatEta(null)).toBe('unknown');
  });
});
