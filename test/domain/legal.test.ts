import { describe, expect, it } from '@jest/globals';
import { LEGAL_RULES, legalHoursOn, legalRuleFor } from '../../src/domain/legal.js';

describe('legalRuleFor', () => {
  it.each([
    // [country, subdivision, jurisdiction, weekday, weekend, max calls]
    ['US', undefined, 'US', ['08:00', '21:00'], ['08:00', '21:00'], undefined],
    ['US', 'US-NY', 'US', ['08:00', '21:00'], ['08:00', '21:00'], undefined],
    ['US', 'US-FL', 'US-FL', ['08:00', '20:00'], ['08:00', '20:00'], 3],
    ['US', 'US-OK', 'US-OK', ['08:00', '20:00'], ['08:00', '20:00'], 3],
    [undefined, 'US-FL', 'US-FL', ['08:00', '20:00'], ['08:00', '20:00'], 3],
    ['us', 'us-ok', 'US-OK', ['08:00', '20:00'], ['08:00', '20:00'], 3],
    ['PR', 'US-PR', 'US', ['08:00', '21:00'], ['08:00', '21:00'], undefined],
    ['GU', undefined, 'US', ['08:00', '21:00'], ['08:00', '21:00'], undefined],
    ['CA', undefined, 'CA', ['09:00', '21:30'], ['10:00', '18:00'], undefined],
    ['CA', 'CA-ON', 'CA', ['09:00', '21:30'], ['10:00', '18:00'], undefined],
    ['GB', undefined, 'DEFAULT', ['08:00', '21:00'], ['08:00', '21:00'], undefined],
    [undefined, undefined, 'DEFAULT', ['08:00', '21:00'], ['08:00', '21:00'], undefined],
  ] as const)('%s %s -> %s', (country, subdivision, jurisdiction, weekday, weekend, maxCalls) => {
    const rule = legalRuleFor(country, subdivision);
    expect(rule.jurisdiction).toBe(jurisdiction);
    expect([rule.weekday.start, rule.weekday.end]).toEqual(weekday);
    expect([rule.weekend.start, rule.weekend.end]).toEqual(weekend);
    expect(rule.maxCallsPer24h).toBe(maxCalls);
  });

  it('picks weekend hours on Saturday and Sunday only', () => {
    const canada = legalRuleFor('CA');
    expect([1, 2, 3, 4, 5].map((d) => legalHoursOn(canada, d).end)).toEqual(Array(5).fill('21:30'));
    expect([6, 7].map((d) => legalHoursOn(canada, d).end)).toEqual(['18:00', '18:00']);
  });

  it('exports one table row per rule, each with a source, none wider than 08:00-21:30', () => {
    expect(LEGAL_RULES.map((r) => r.jurisdiction)).toEqual(['US', 'US-FL', 'US-OK', 'CA', 'DEFAULT']);
    for (const rule of LEGAL_RULES) {
      expect(rule.source.length).toBeGreaterThan(10);
      for (const hours of [rule.weekday, rule.weekend]) {
        expect(hours.start >= '08:00').toBe(true);
        expect(hours.end <= '21:30').toBe(true);
        expect(hours.start < hours.end).toBe(true);
      }
    }
  });
});
