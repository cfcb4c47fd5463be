import { describe, it, expect } from '@jest/globals';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { generateSampleContacts } from '../../src/cli/sample-data.js';
import { normalizeContactPhone } from '../../src/domain/phone.js';

describe('generateSampleContacts', () => {
  const contacts = generateSampleContacts({ count: 600, seed: 42 });

  it('is deterministic for a seed and differs across seeds', () => {
    expect(generateSampleContacts({ count: 600, seed: 42 })).toEqual(contacts);
    expect(generateSampleContacts({ count: 50, seed: 43 })).not.toEqual(contacts.slice(0, 50));
    expect(contacts).toHaveLength(600);
    expect(new Set(contacts.map((c) => c.id)).size).toBe(600);
  });

  it('valid and duplicate samples parse to their intended E.164; invalid ones do not validate', () => {
    for (const c of contacts) {
      const region = c.sample.country === 'GB' ? 'GB' : 'US';
      const parsed = parsePhoneNumberFromString(c.phone!, { defaultCountry: region });
      if (c.sample.kind === 'invalid') {
        expect(parsed?.isValid() ?? false).toBe(false);
      } else {
        expect({ id: c.id, valid: parsed?.isValid(), e164: parsed?.number }).toEqual({
          id: c.id,
          valid: true,
          e164: c.sample.e164,
        });
      }
    }
  });

  it('covers US (Florida, Oklahoma), Canada and the UK, with duplicates, invalid numbers and DNC flags', () => {
    const areas = new Set(
      contacts.filter((c) => c.sample.e164?.startsWith('+1')).map((c) => c.sample.e164!.slice(2, 5)),
    );
    expect([...areas]).toEqual(expect.arrayContaining(['305', '405', '918', '416']));
    expect(contacts.some((c) => c.sample.country === 'GB')).toBe(true);
    expect(contacts.some((c) => c.sample.country === 'CA')).toBe(true);
    const dups = contacts.filter((c) => c.sample.kind === 'duplicate');
    expect(dups.length).toBeGreaterThan(5);
    for (const d of dups) {
      const original = contacts.find((c) => c.sample.kind === 'valid' && c.sample.e164 === d.sample.e164)!;
      expect(original.phone).not.toBe(d.phone);
    }
    expect(contacts.filter((c) => c.sample.kind === 'invalid').length).toBeGreaterThan(5);
    expect(contacts.filter((c) => c.doNotCall).length).toBeGreaterThan(5);
    expect(contacts.some((c) => c.timeZone === 'America/Chicago')).toBe(true);
  });

  it('stays realistic at 20,000 contacts: a few % invalid, a few % duplicates, UK records in GB national format', () => {
    const big = generateSampleContacts({ count: 20_000, seed: 20300107 });
    const seen = new Set<string>();
    let invalid = 0;
    let duplicates = 0;
    for (const c of big) {
      // as the engine reads them: the record's country, then a US account's region
      const parsed = normalizeContactPhone(c.phone!, { country: c.country, defaultRegion: 'US' });
      if (!parsed.ok) invalid++;
      else if (seen.has(parsed.phone.e164)) duplicates++;
      else seen.add(parsed.phone.e164);
    }
    expect(invalid / big.length).toBeGreaterThan(0.01);
    expect(invalid / big.length).toBeLessThan(0.06);
    expect(duplicates / big.length).toBeGreaterThan(0.01);
    expect(duplicates / big.length).toBeLessThan(0.06);
    const uk = big.filter((c) => c.sample.country === 'GB' && c.sample.kind === 'valid');
    expect(uk.length).toBeGreaterThan(1_000);
    expect(uk.every((c) => c.country === 'GB')).toBe(true);
    expect(uk.filter((c) => c.phone!.startsWith('0')).length / uk.length).toBeGreaterThan(0.5);
    expect(big.filter((c) => c.doNotCall && c.sample.country === 'GB').length).toBeGreaterThan(50);
  });
});
