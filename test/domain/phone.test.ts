import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { dedupeByPhone, nanpSubdivision, normalizePhone } from '../../src/domain/phone.js';
import { NANP_AREA_CODE_SUBDIVISIONS } from '../../src/domain/nanp.js';

describe('normalizePhone', () => {
  it.each([
    ['(212) 555-0101', 'US', '+12125550101', 'US', 'US-NY', '212'],
    ['212.555.0101', 'US', '+12125550101', 'US', 'US-NY', '212'],
    ['+1 305 555 0123', 'DE', '+13055550123', 'US', 'US-FL', '305'],
    ['1-918-555-0199', 'US', '+19185550199', 'US', 'US-OK', '918'],
    ['416 555 0101', 'US', '+14165550101', 'CA', 'CA-ON', '416'],
    ['+1 902 555 0101', 'US', '+19025550101', 'CA', 'CA-NS', '902'],
    ['787 555 0101', 'US', '+17875550101', 'PR', 'US-PR', '787'],
    ['030 1234567', 'DE', '+49301234567', 'DE', undefined, undefined],
    ['+44 20 7946 0000', 'US', '+442079460000', 'GB', undefined, undefined],
  ])('%s (%s) -> %s', (raw, region, e164, country, subdivision, areaCode) => {
    const result = normalizePhone(raw, region);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.phone.e164).toBe(e164);
    expect(result.phone.country).toBe(country);
    expect(result.phone.subdivision).toBe(subdivision);
    expect(result.phone.areaCode).toBe(areaCode);
  });

  it('keeps the number type', () => {
    const tollFree = normalizePhone('+1 800 234 5678', 'US');
    expect(tollFree.ok && tollFree.phone.type).toBe('TOLL_FREE');
    expect(tollFree.ok && tollFree.phone.subdivision).toBeUndefined();
    expect(tollFree.ok && tollFree.phone.areaCode).toBe('800');
    const mobile = normalizePhone('+44 7400 123456', 'US');
    expect(mobile.ok && mobile.phone.type).toBe('MOBILE');
    const fixed = normalizePhone('+442079460000', 'US');
    expect(fixed.ok && fixed.phone.type).toBe('FIXED_LINE');
  });

  it.each([
    ['', 'US', 'EMPTY'],
    ['   ', 'US', 'EMPTY'],
    ['call me', 'US', 'NOT_A_NUMBER'],
    ['555-0101', 'ZZ', 'INVALID_COUNTRY'],
    ['+999 1234 5678', 'US', 'INVALID_COUNTRY'],
    ['212 55', 'US', 'TOO_SHORT'],
    ['+1 212 555 0101 12345', 'US', 'TOO_LONG'],
    ['+1 212 555 010', 'US', 'TOO_SHORT'],
    ['+1 123 555 0101', 'US', 'INVALID_FOR_REGION'],
  ])('rejects %j (%s) with %s, echoing the input', (raw, region, reason) => {
    expect(normalizePhone(raw, region)).toEqual({ ok: false, reason, input: raw });
  });

  it('never throws, and every accepted number is E.164 and parses back to itself', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 25 }),
        fc.constantFrom('US', 'CA', 'DE', 'GB', 'FR', 'xx'),
        (raw, region) => {
          const result = normalizePhone(raw, region);
          if (!result.ok) return;
          expect(result.phone.e164).toMatch(/^\+[1-9]\d{6,14}$/);
          const again = normalizePhone(result.phone.e164, 'US');
          expect(again).toEqual(result);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('NANP area codes', () => {
  const FLORIDA = [
    '305',
    '321',
    '352',
    '386',
    '407',
    '448',
    '561',
    '645',
    '656',
    '689',
    '727',
    '728',
    '754',
    '772',
  ];
  const MORE_FLORIDA = ['786', '813', '850', '863', '904', '941', '954'];
  const OKLAHOMA = ['405', '539', '572', '580', '918'];
  // Also Florida, though not in the brief's list: 239 (Fort Myers, Naples) and 324 (Jacksonville overlay, 2025).
  const ALSO_FLORIDA = ['239', '324'];

  it.each([...FLORIDA, ...MORE_FLORIDA, ...ALSO_FLORIDA])('%s is Florida', (code) => {
    expect(nanpSubdivision(code)).toBe('US-FL');
  });
  it.each(OKLAHOMA)('%s is Oklahoma', (code) => {
    expect(nanpSubdivision(code)).toBe('US-OK');
  });
  it('knows no other code as Florida or Oklahoma', () => {
    const strict = Object.entries(NANP_AREA_CODE_SUBDIVISIONS).filter(
      ([, s]) => s === 'US-FL' || s === 'US-OK',
    );
    expect(strict.map(([code]) => code).sort()).toEqual(
      [...FLORIDA, ...MORE_FLORIDA, ...ALSO_FLORIDA, ...OKLAHOMA].sort(),
    );
  });
  it.each([
    ['212', 'US-NY'],
    ['202', 'US-DC'],
    ['312', 'US-IL'],
    ['907', 'US-AK'],
    ['808', 'US-HI'],
    ['514', 'CA-QC'],
    ['604', 'CA-BC'],
    ['709', 'CA-NL'],
    ['787', 'US-PR'],
  ])('%s is %s', (code, subdivision) => {
    expect(nanpSubdivision(code)).toBe(subdivision);
  });
  it('has no subdivision for non-geographic or foreign codes, nor for inherited object keys', () => {
    for (const code of ['800', '888', '900', '500', '876', '000', 'constructor', 'toString']) {
      expect(nanpSubdivision(code)).toBeUndefined();
    }
  });
  it('covers every US state, DC and the Canadian provinces', () => {
    const subdivisions = new Set(Object.values(NANP_AREA_CODE_SUBDIVISIONS));
    const states = [...subdivisions].filter(
      (s) => s.startsWith('US-') && !['US-PR', 'US-VI', 'US-GU', 'US-AS', 'US-MP'].includes(s),
    );
    expect(states).toHaveLength(51);
    for (const p of ['AB', 'BC', 'MB', 'NB', 'NL', 'NS', 'ON', 'QC', 'SK'])
      expect(subdivisions.has(`CA-${p}`)).toBe(true);
  });
});

describe('dedupeByPhone', () => {
  it('keeps the first of each number and returns the rest as duplicates, in order', () => {
    const rows = [
      { id: 1, phone: '+12125550101' },
      { id: 2, phone: '+13055550123' },
      { id: 3, phone: '+12125550101' },
      { id: 4, phone: '+12125550101' },
    ];
    const { unique, duplicates } = dedupeByPhone(rows, (r) => r.phone);
    expect(unique.map((r) => r.id)).toEqual([1, 2]);
    expect(duplicates.map((r) => r.id)).toEqual([3, 4]);
  });

  it('partitions the input: unique numbers are distinct, every item lands once, first occurrence wins', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('+1', '+2', '+3', '+4', '+5')), (phones) => {
        const items = phones.map((phone, index) => ({ phone, index }));
        const { unique, duplicates } = dedupeByPhone(items, (i) => i.phone);
        expect(unique.length + duplicates.length).toBe(items.length);
        expect(new Set(unique.map((i) => i.phone)).size).toBe(unique.length);
        for (const u of unique) expect(u.index).toBe(phones.indexOf(u.phone));
        for (const d of duplicates) expect(d.index).toBeGreaterThan(phones.indexOf(d.phone));
      }),
      { numRuns: 500 },
    );
  });
});
