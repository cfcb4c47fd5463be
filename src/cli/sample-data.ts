/**
 * Deterministic sample contacts for the demo and tests: US (including Florida and Oklahoma), Canadian and UK
 * numbers in fictional ranges (NANP 555-01xx, Ofcom drama numbers), written the many ways CRMs hold them,
 * plus the dirt real lists carry: invalid numbers, the same number twice in different formats, DNC flags.
 */
import type { CrmContact } from '../crm/crm.js';
import { seededRandom } from '../domain/random.js';

export interface SampleContact extends CrmContact {
  /** What the sample is meant to exercise, for demo reports and tests. */
  sample: { country: 'US' | 'CA' | 'GB'; kind: 'valid' | 'invalid' | 'duplicate'; e164?: string };
}

interface Area {
  country: 'US' | 'CA' | 'GB';
  /** NANP area code, or UK national prefix without the trunk 0. */
  prefix: string;
  zone: string;
  weight: number;
}

const AREAS: readonly Area[] = [
  { country: 'US', prefix: '305', zone: 'America/New_York', weight: 4 }, // Miami, FL
  { country: 'US', prefix: '786', zone: 'America/New_York', weight: 2 }, // Miami, FL
  { country: 'US', prefix: '407', zone: 'America/New_York', weight: 2 }, // Orlando, FL
  { country: 'US', prefix: '850', zone: 'America/Chicago', weight: 1 }, // FL panhandle: Central time west of the Apalachicola
  { country: 'US', prefix: '405', zone: 'America/Chicago', weight: 3 }, // Oklahoma City, OK
  { country: 'US', prefix: '918', zone: 'America/Chicago', weight: 2 }, // Tulsa, OK
  { country: 'US', prefix: '212', zone: 'America/New_York', weight: 2 },
  { country: 'US', prefix: '312', zone: 'America/Chicago', weight: 2 },
  { country: 'US', prefix: '512', zone: 'America/Chicago', weight: 1 },
  { country: 'US', prefix: '303', zone: 'America/Denver', weight: 1 },
  { country: 'US', prefix: '602', zone: 'America/Phoenix', weight: 1 },
  { country: 'US', prefix: '415', zone: 'America/Los_Angeles', weight: 2 },
  { country: 'US', prefix: '808', zone: 'Pacific/Honolulu', weight: 1 },
  { country: 'CA', prefix: '416', zone: 'America/Toronto', weight: 2 },
  { country: 'CA', prefix: '604', zone: 'America/Vancouver', weight: 1 },
  { country: 'CA', prefix: '514', zone: 'America/Toronto', weight: 1 },
  { country: 'CA', prefix: '902', zone: 'America/Halifax', weight: 1 },
  { country: 'GB', prefix: '20 7946 0', zone: 'Europe/London', weight: 2 }, // London drama range
  { country: 'GB', prefix: '113 496 0', zone: 'Europe/London', weight: 1 }, // Leeds drama range
  { country: 'GB', prefix: '161 496 0', zone: 'Europe/London', weight: 1 }, // Manchester drama range
];

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
function nanpFormats(area: string, line: string): string[] {
  const [x, y] = [line.slice(0, 3), line.slice(3)];
  return [
    `+1${area}${line}`,
    `(${area}) ${x}-${y}`,
    `${area}.${x}.${y}`,
    `${area}${line}`,
    `+1 ${area} ${x} ${y}`,
    `1-${area}-${x}-${y}`,
  ];
}
function ukFormats(prefix: string, last3: string): string[] {
  const national = `0${prefix}${last3}`;
  return [`+44 ${prefix}${last3}`, national, `+44${(prefix + last3).replace(/\s/g, '')}`];
}

export function generateSampleContacts(options: { count: number; seed: number }): SampleContact[] {
  const random = seededRandom(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const totalWeight = AREAS.reduce((s, a) => s + a.weight, 0);
  const pickArea = (): Area => {
    let r = random() * totalWeight;
    for (const area of AREAS) if ((r -= area.weight) < 0) return area;
    return AREAS[0]!;
  };
  const used = new Set<string>();
  const contacts: SampleContact[] = [];

  for (let i = 0; contacts.length < options.count; i++) {
    const id = `sample-${String(contacts.length + 1).padStart(5, '0')}`;
    const name = { firstName: pick(FIRST), lastName: pick(LAST) };
    const roll = random();
    const previous = contacts.filter((c) => c.sample.kind === 'valid');
    if (roll < 0.04 && previous.length > 0) {
      // The same person's number again, written differently (a second record, or an import on top of a sync).
      const original = pick(previous);
      const e164 = original.sample.e164!;
      const formats =
        original.sample.country === 'GB'
          ? ukFormats(e164.slice(3, -3).replace(/^(\d{2,3})(\d{3})(\d)$/, '$1 $2 $3'), e164.slice(-3))
          : nanpFormats(e164.slice(2, 5), e164.slice(5));
      const phone = formats.find((f) => f !== original.phone) ?? formats[0]!;
      contacts.push({
        id,
        ...name,
        phone,
        sample: { country: original.sample.country, kind: 'duplicate', e164 },
      });
      continue;
    }
    if (roll < 0.07) {
      contacts.push({ id, ...name, phone: pick(INVALID), sample: { country: 'US', kind: 'invalid' } });
      continue;
    }
    const area = pickArea();
    let phone: string;
    let e164: string;
    if (area.country === 'GB') {
      const last3 = String(Math.floor(random() * 1000)).padStart(3, '0');
      e164 = `+44${area.prefix.replace(/\s/g, '')}${last3}`;
      phone = pick(ukFormats(area.prefix, last3));
    } else {
      const line = `55501${String(Math.floor(random() * 100)).padStart(2, '0')}`;
      e164 = `+1${area.prefix}${line}`;
      phone = pick(nanpFormats(area.prefix, line));
    }
    if (used.has(e164) && i < options.count * 20) continue; // keep accidental duplicates rare; deliberate ones above
    used.add(e164);
    const contact: SampleContact = {
      id,
      ...name,
      phone,
      sample: { country: area.country, kind: 'valid', e164 },
    };
    // Some CRM records carry their own zone; the rest are placed by their number.
    if (random() < 0.5) contact.timeZone = area.zone;
    if (random() < 0.06) contact.doNotCall = true;
    if (random() < 0.15) contact.mobilePhone = phone;
    contacts.push(contact);
  }
  return contacts;
}
