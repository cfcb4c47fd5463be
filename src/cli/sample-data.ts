/**
 * Deterministic sample contacts for the demo and tests: US (including Florida and Oklahoma), Canadian and UK
 * numbers written the many ways CRMs hold them, plus the dirt real lists carry, at realistic rates: a few %
 * invalid numbers, a few % the same number twice in different formats, ~6 % DNC flags. UK records carry their
 * country (GB) and mostly national-format numbers ("0113 496 0066"), as a UK CRM holds them.
 *
 * Numbers are drawn at random from valid ranges (the fictional ranges, NANP 555-01xx and Ofcom's drama numbers,
 * hold a few thousand numbers in all: too few for a 100,000-contact list). They are for the simulated carrier
 * only; the demo never hands them to a real one.
 */
import { parsePhoneNumberWithError } from 'libphonenumber-js/max';
import type { CrmContact } from '../crm/crm.js';
import { normalizePhone } from '../domain/phone.js';
import { seededRandom } from '../domain/random.js';

export interface SampleContact extends CrmContact {
  /** What the sample is meant to exercise, for demo reports and tests. */
  sample: { country: 'US' | 'CA' | 'GB'; kind: 'valid' | 'invalid' | 'duplicate'; e164?: string };
}

interface Area {
  country: 'US' | 'CA' | 'GB';
  /** NANP area code, or the UK national number's leading digits (without the trunk 0). */
  prefix: string;
  /** Digits after the prefix (a UK number's length depends on its area). */
  restDigits: number;
  zone: string;
  weight: number;
}

const nanp = (prefix: string, zone: string, weight: number): Area => ({
  country: prefix === '416' || prefix === '604' || prefix === '514' || prefix === '902' ? 'CA' : 'US',
  prefix,
  restDigits: 7,
  zone,
  weight,
});

const AREAS: readonly Area[] = [
  nanp('305', 'America/New_York', 4), // Miami, FL
  nanp('786', 'America/New_York', 2), // Miami, FL
  nanp('407', 'America/New_York', 2), // Orlando, FL
  nanp('850', 'America/Chicago', 1), // FL panhandle: Central time west of the Apalachicola
  nanp('405', 'America/Chicago', 3), // Oklahoma City, OK
  nanp('918', 'America/Chicago', 2), // Tulsa, OK
  nanp('212', 'America/New_York', 2),
  nanp('312', 'America/Chicago', 2),
  nanp('512', 'America/Chicago', 1),
  nanp('303', 'America/Denver', 1),
  nanp('602', 'America/Phoenix', 1),
  nanp('415', 'America/Los_Angeles', 2),
  nanp('808', 'Pacific/Honolulu', 1),
  nanp('416', 'America/Toronto', 2),
  nanp('604', 'America/Vancouver', 1),
  nanp('514', 'America/Toronto', 1),
  nanp('902', 'America/Halifax', 1),
  { country: 'GB', prefix: '207', restDigits: 7, zone: 'Europe/London', weight: 1 }, // London
  { country: 'GB', prefix: '203', restDigits: 7, zone: 'Europe/London', weight: 1 }, // London
  { country: 'GB', prefix: '113', restDigits: 7, zone: 'Europe/London', weight: 1 }, // Leeds
  { country: 'GB', prefix: '161', restDigits: 7, zone: 'Europe/London', weight: 1 }, // Manchester
  { country: 'GB', prefix: '77', restDigits: 8, zone: 'Europe/London', weight: 1 }, // mobiles
];

/** How CRM records name their country: UK records as GB; US and Canadian ones in any spelling, or not at all. */
const COUNTRY_SPELLINGS: Readonly<Record<Area['country'], readonly string[]>> = {
  US: ['US', 'United States', 'USA'],
  CA: ['CA', 'Canada'],
  GB: ['GB'],
};

const FIRST = [
  'Ana',
  'Ben',
  'Chloé',
  'Dev',
  'Emma',
  'Farid',
  'Grace',
  'Hiro',
  'Isla',
  'Jamal',
  'Kira',
  'Luis',
  'Maya',
  'Noah',
  'Olu',
  'Priya',
];
const LAST = [
  'Silva',
  'Okafor',
  'Nguyen',
  'Smith',
  'Tremblay',
  'García',
  'Khan',
  'Murphy',
  'Rossi',
  'Cohen',
  'Park',
  'Walker',
];
const INVALID = [
  '555-1234',
  '+1 (305) 555-01',
  'n/a',
  '+44 20 1234',
  '000-000-0000',
  '+1 999 555 0100',
  '12345678901234567',
];

/** The ways CRMs store the same NANP number. */
function nanpFormats(e164: string): string[] {
  const [area, x, y] = [e164.slice(2, 5), e164.slice(5, 8), e164.slice(8)];
  return [
    e164,
    `(${area}) ${x}-${y}`,
    `${area}.${x}.${y}`,
    `${area}${x}${y}`,
    `+1 ${area} ${x} ${y}`,
    `1-${area}-${x}-${y}`,
  ];
}

/** The ways a UK CRM stores a UK number: national format most often, then international. */
function ukFormats(e164: string): string[] {
  const parsed = parsePhoneNumberWithError(e164);
  const national = parsed.formatNational();
  return [national, national, national.replace(/\s/g, ''), parsed.formatInternational(), e164];
}

const SAMPLE_RATES = { duplicate: 0.03, invalid: 0.03, doNotCall: 0.06, crmZone: 0.5, mobileToo: 0.15 };

export function generateSampleContacts(options: { count: number; seed: number }): SampleContact[] {
  const random = seededRandom(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
  const totalWeight = AREAS.reduce((s, a) => s + a.weight, 0);
  const pickArea = (): Area => {
    let r = random() * totalWeight;
    for (const area of AREAS) if ((r -= area.weight) < 0) return area;
    return AREAS[0]!;
  };
  const used = new Set<string>();
  /** A valid number of the area nobody in the sample has yet (NANP exchanges never start with 0 or 1). */
  const freshNumber = (area: Area): string | undefined => {
    for (let tries = 0; tries < 50; tries++) {
      const rest =
        area.country === 'GB' ? digits(area.restDigits) : `${2 + Math.floor(random() * 8)}${digits(6)}`;
      const parsed = normalizePhone(
        `+${area.country === 'GB' ? '44' : '1'}${area.prefix}${rest}`,
        area.country,
      );
      // the number's own country too: some UK mobile ranges belong to Jersey, Guernsey or the Isle of Man
      if (parsed.ok && parsed.phone.country === area.country && !used.has(parsed.phone.e164))
        return parsed.phone.e164;
    }
    return undefined;
  };
  const valid: SampleContact[] = [];
  const contacts: SampleContact[] = [];

  while (contacts.length < options.count) {
    const id = `sample-${String(contacts.length + 1).padStart(5, '0')}`;
    const name = { firstName: pick(FIRST), lastName: pick(LAST) };
    const roll = random();
    if (roll < SAMPLE_RATES.duplicate && valid.length > 0) {
      // The same person's number again, written differently (a second record, or an import on top of a sync).
      const original = pick(valid);
      const e164 = original.sample.e164!;
      const formats = original.sample.country === 'GB' ? ukFormats(e164) : nanpFormats(e164);
      const phone = formats.find((f) => f !== original.phone) ?? formats[0]!;
      contacts.push({
        id,
        ...name,
        phone,
        ...(original.country ? { country: original.country } : {}),
        sample: { country: original.sample.country, kind: 'duplicate', e164 },
      });
      continue;
    }
    if (roll < SAMPLE_RATES.duplicate + SAMPLE_RATES.invalid) {
      contacts.push({ id, ...name, phone: pick(INVALID), sample: { country: 'US', kind: 'invalid' } });
      continue;
    }
    const area = pickArea();
    const e164 = freshNumber(area);
    if (!e164) continue;
    used.add(e164);
    const phone = pick(area.country === 'GB' ? ukFormats(e164) : nanpFormats(e164));
    const contact: SampleContact = {
      id,
      ...name,
      phone,
      sample: { country: area.country, kind: 'valid', e164 },
    };
    // UK records always say where they are (their numbers are national); North American ones half the time.
    if (area.country === 'GB' || random() < 0.5) contact.country = pick(COUNTRY_SPELLINGS[area.country]);
    // Some CRM records carry their own zone; the rest are placed by their number.
    if (random() < SAMPLE_RATES.crmZone) contact.timeZone = area.zone;
    if (random() < SAMPLE_RATES.doNotCall) contact.doNotCall = true;
    if (random() < SAMPLE_RATES.mobileToo) contact.mobilePhone = phone;
    contacts.push(contact);
    valid.push(contact);
  }
  return contacts;
}
