/** The DNC normalization rule: exact in the contact's country or the account's region, else conservative. */
import { describe, it, expect } from '@jest/globals';
import { resolveDoNotCall } from '../../src/domain/dnc.js';
import { countryCodeOf, normalizeContactPhone } from '../../src/domain/phone.js';

describe('countryCodeOf', () => {
  it.each([
    ['GB', 'GB'],
    ['gb', 'GB'],
    [' United Kingdom ', 'GB'],
    ['UK', 'GB'],
    ['England', 'GB'],
    ['USA', 'US'],
    ['United States', 'US'],
    ['Canada', 'CA'],
    ['France', 'FR'],
  ])('%s is %s', (input, code) => expect(countryCodeOf(input)).toBe(code));

  it.each(['', '   ', 'Atlantis', 'XX', undefined])('%s is not a country', (input) =>
    expect(countryCodeOf(input)).toBeUndefined(),
  );
});

describe('normalizeContactPhone', () => {
  it('reads a national number in the contact’s country, then the account’s region', () => {
    const uk = normalizeContactPhone('0113 496 0066', { country: 'GB', defaultRegion: 'US' });
    expect(uk).toMatchObject({ ok: true, phone: { e164: '+441134960066', country: 'GB' } });
    // a US number written nationally on a record filed under another country still reads in the account's region
    const us = normalizeContactPhone('(212) 555-0102', { country: 'GB', defaultRegion: 'US' });
    expect(us).toMatchObject({ ok: true, phone: { e164: '+12125550102' } });
    expect(normalizeContactPhone('0113 496 0066', { defaultRegion: 'US' }).ok).toBe(false);
  });
});

describe('resolveDoNotCall', () => {
  it('is exact when the contact’s country or the account’s region reads the number', () => {
    expect(resolveDoNotCall('(212) 555-0102', { defaultRegion: 'US' })).toEqual({
      kind: 'exact',
      input: '(212) 555-0102',
      numbers: ['+12125550102'],
    });
    expect(
      resolveDoNotCall('0113 496 0066', { country: 'United Kingdom', defaultRegion: 'US' }),
    ).toMatchObject({
      kind: 'exact',
      numbers: ['+441134960066'],
    });
  });

  it('blocks every reading of a number neither can read, and says so', () => {
    const resolution = resolveDoNotCall('0113 496 0066', { defaultRegion: 'US' });
    expect(resolution.kind).toBe('conservative');
    expect(resolution.numbers).toContain('+441134960066');
    expect(resolution.numbers.every((n) => n.startsWith('+') && !n.startsWith('+1'))).toBe(true);
  });

  it('keeps a flag that is no number anywhere as unmatchable', () => {
    expect(resolveDoNotCall('call me maybe', { defaultRegion: 'US' })).toMatchObject({
      kind: 'unmatchable',
      numbers: [],
    });
  });
});
