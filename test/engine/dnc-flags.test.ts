/**
 * Do-Not-Call flags are never lost: whatever spelling a flag arrives in (national, international, punctuated,
 * the contact's own country's format), the engine never dials that number. Engine level, manual clock.
 */
import { describe, it, expect, afterAll } from '@jest/globals';
import fc from 'fast-check';
import { getExampleNumber, parsePhoneNumberWithError, type CountryCode } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import { normalizePhone } from '../../src/domain/phone.js';
import { CampaignService } from '../../src/engine/campaigns.js';
import { Engine } from '../../src/engine/dialer.js';
import { MemoryStore } from '../../src/engine/store/memory-store.js';
import type { Store } from '../../src/engine/store/store.js';
import { ManualClock, RecordingTelephony, messageCampaign } from './fixtures/harness.js';
import { redisStore, uniquePrefix } from './redis-helpers.js';

const P = '77';
/** Monday 2030-01-07 14:30 UTC: 09:30 in New York and Toronto, 14:30 in London, 15:30 in Paris and Berlin. */
const MONDAY_MORNING_NY = Date.UTC(2030, 0, 7, 14, 30, 0);

const ZONE_BY_COUNTRY: Record<string, string> = {
  US: 'America/New_York',
  CA: 'America/Toronto',
  GB: 'Europe/London',
  IE: 'Europe/Dublin',
  FR: 'Europe/Paris',
  DE: 'Europe/Berlin',
};
/** Each number's zone from its country (the fixture's stand-in for the geo lookup). */
const zonesByCountry = {
  candidateZones: async (e164: string) => {
    const country = parsePhoneNumberWithError(e164).country ?? 'US';
    return [ZONE_BY_COUNTRY[country] ?? 'America/New_York'];
  },
};

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

function wire(store: Store) {
  const clock = new ManualClock(MONDAY_MORNING_NY);
  const telephony = new RecordingTelephony(clock);
  const campaigns = new CampaignService({ store, clock, zones: zonesByCountry, random: () => 0 });
  const engine = new Engine({ store, telephony, clock, campaigns, zones: zonesByCountry, random: () => 0 });
  return { clock, telephony, campaigns, engine };
}

async function runCampaign(w: ReturnType<typeof wire>, campaignId: string) {
  // a campaign whose every contact was skipped cannot start: nothing to dial
  if (!(await w.campaigns.hasContactSource(P, campaignId))) return;
  await w.campaigns.act(P, campaignId, 'start');
  for (let i = 0; i < 4; i++) {
    await w.engine.pass(P);
    await new Promise((r) => setImmediate(r));
    w.clock.advance(1_000);
  }
}

let seq = 0;
const campaign = (w: ReturnType<typeof wire>) =>
  w.campaigns.create(P, messageCampaign({ callsPerSecond: 50, maxConcurrentCalls: 50 }), `dnc${++seq}`);

const stores: [string, () => Store][] = [
  ['memory', () => new MemoryStore()],
  [
    'redis',
    () => {
      const h = redisStore(uniquePrefix('dnc-flags'));
      cleanups.push(h.cleanup);
      return h.store;
    },
  ],
];

describe.each(stores)('DNC flags in any spelling (%s store)', (_name, makeStore) => {
  it('a number put on DNC in national format is not dialed in E.164', async () => {
    const w = wire(makeStore());
    const report = await w.campaigns.addDoNotCall(P, ['(212) 555-0102']);
    const c = await campaign(w);
    await w.campaigns.enroll(P, c.campaignId, [
      { contactId: 'k1', phone: '+12125550102' },
      { contactId: 'k2', phone: '+12125550103' },
    ]);
    await runCampaign(w, c.campaignId);
    expect(w.telephony.dials.map((d) => d.to)).toEqual(['+12125550103']);
    expect(report).toMatchObject({ added: ['+12125550102'], unresolved: [] });
  });

  it('a UK contact’s DNC flag in UK national format blocks the same number held by another contact', async () => {
    const w = wire(makeStore());
    const c = await campaign(w);
    const report = await w.campaigns.enroll(P, c.campaignId, [
      { contactId: 'uk-dnc', phone: '0113 496 0066', country: 'GB', doNotCall: true },
      { contactId: 'uk-same', phone: '+44 113 496 0066' },
      { contactId: 'uk-national', phone: '0113 496 0067', country: 'United Kingdom' },
    ]);
    expect(report.skipped).toEqual(
      expect.arrayContaining([expect.objectContaining({ contactId: 'uk-dnc', reason: 'DNC' })]),
    );
    await runCampaign(w, c.campaignId);
    expect(w.telephony.dials.map((d) => d.to)).toEqual(['+441134960067']);
  });

  it('a flag no region can read is kept, blocks every reading of it, and is reported', async () => {
    const w = wire(makeStore());
    const c = await campaign(w);
    // No country on the record, the account is in the US: "0113 496 0066" is not a US number.
    const report = await w.campaigns.enroll(P, c.campaignId, [
      { contactId: 'uk-dnc', phone: '0113 496 0066', doNotCall: true },
      { contactId: 'uk-same', phone: '+441134960066' },
    ]);
    expect(report.dncUnresolved).toEqual([
      expect.objectContaining({ contactId: 'uk-dnc', row: 1, input: '0113 496 0066', kind: 'conservative' }),
    ]);
    expect(report.dncUnresolved[0]!.blocked).toContain('+441134960066');
    await runCampaign(w, c.campaignId);
    expect(w.telephony.dials).toHaveLength(0);

    const later = await w.campaigns.addDoNotCall(P, ['not a number']);
    expect(later.unresolved).toEqual([
      expect.objectContaining({ input: 'not a number', kind: 'unmatchable' }),
    ]);
  });
});

/** Countries whose legal hours include the fixture's Monday morning (so a missed flag really dials). */
const COUNTRIES: CountryCode[] = ['US', 'CA', 'GB', 'IE', 'FR', 'DE'];

/** A valid number of `country`: its example mobile number with the last digits replaced. */
function numberOf(country: CountryCode, tail: number) {
  const example = getExampleNumber(country, examples)!;
  const national = example.nationalNumber;
  const digits = national.slice(0, -3) + String(tail).padStart(3, '0');
  const parsed = parsePhoneNumberWithError(digits, country);
  return parsed.isValid() ? parsed : example;
}

type Spelling = 'e164' | 'international' | 'national' | 'rfc3966' | 'punctuated';

function spell(number: ReturnType<typeof numberOf>, spelling: Spelling, punctuation: string[]): string {
  switch (spelling) {
    case 'e164':
      return number.number;
    case 'international':
      return number.formatInternational();
    case 'national':
      return number.formatNational();
    case 'rfc3966':
      return number.getURI();
    case 'punctuated': {
      // national digits with random separators between them: " ", "-", ".", "(", ")"
      const digits = number.formatNational().replace(/\D/g, '');
      return [...digits].map((d, i) => d + (punctuation[i % punctuation.length] ?? '')).join('');
    }
  }
}

const spellingArb = fc.constantFrom<Spelling>('e164', 'international', 'national', 'rfc3966', 'punctuated');
const punctuationArb = fc.array(fc.constantFrom('', ' ', '-', '.', '(', ')'), { minLength: 1, maxLength: 6 });

describe('DNC flags: property', () => {
  it('for any spelling of a DNC number, in any route and order, no claim ever returns it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          country: fc.constantFrom(...COUNTRIES),
          region: fc.constantFrom<CountryCode>('US', 'GB', 'CA', 'FR'),
          tail: fc.integer({ min: 0, max: 999 }),
          flagSpelling: spellingArb,
          flagPunctuation: punctuationArb,
          /** Whether the flagged record carries its country (a CRM record may not). */
          flagHasCountry: fc.boolean(),
          route: fc.constantFrom('enroll-row', 'add-before', 'add-after-enroll'),
          dialSpelling: fc.constantFrom<Spelling>('e164', 'international', 'national'),
          sameCampaign: fc.boolean(),
        }),
        async (t) => {
          const store = new MemoryStore();
          const clock = new ManualClock(MONDAY_MORNING_NY);
          const telephony = new RecordingTelephony(clock);
          const account = () => ({ ...CampaignService.defaultAccount(), defaultRegion: t.region });
          const campaigns = new CampaignService({
            store,
            clock,
            zones: zonesByCountry,
            random: () => 0,
            account,
          });
          const engine = new Engine({
            store,
            telephony,
            clock,
            campaigns,
            zones: zonesByCountry,
            random: () => 0,
          });
          const w = { clock, telephony, campaigns, engine };

          const number = numberOf(t.country, t.tail);
          const flagged = spell(number, t.flagSpelling, t.flagPunctuation);
          // A national spelling with no country on the record that the account's region reads as a number of
          // its own denotes that other number (the flagged contact itself would be dialed there, and is not):
          // nobody could know it meant this one. Every other case must block this number.
          const inRegion = normalizePhone(flagged, t.region);
          fc.pre(t.flagHasCountry || !inRegion.ok || inRegion.phone.e164 === number.number);
          const flagCountry = t.flagHasCountry ? { country: t.country } : {};
          const dialCountry = { country: t.country };
          const first = await campaign(w);
          const second = t.sameCampaign ? first : await campaign(w);

          if (t.route === 'add-before') await campaigns.addDoNotCall(P, [flagged], flagCountry);
          if (t.route === 'enroll-row')
            await campaigns.enroll(P, first.campaignId, [
              { contactId: 'flagged', phone: flagged, doNotCall: true, ...flagCountry },
            ]);
          await campaigns.enroll(P, second.campaignId, [
            { contactId: 'same', phone: spell(number, t.dialSpelling, []), ...dialCountry },
          ]);
          if (t.route === 'add-after-enroll') await campaigns.addDoNotCall(P, [flagged], flagCountry);
          await runCampaign(w, second.campaignId);
          expect(telephony.dials.map((d) => d.to)).not.toContain(number.number);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('the property can fail: an unflagged number in the same setup is dialed', async () => {
    const w = wire(new MemoryStore());
    const c = await campaign(w);
    await w.campaigns.enroll(P, c.campaignId, [{ contactId: 'x', phone: '0113 496 0066', country: 'GB' }]);
    await runCampaign(w, c.campaignId);
    expect(w.telephony.dials.map((d) => d.to)).toEqual(['+441134960066']);
  });
});
