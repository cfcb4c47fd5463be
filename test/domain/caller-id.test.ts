import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { pickCallerId } from '../../src/domain/caller-id.js';
import * as domain from '../../src/domain/index.js';
import * as adapter from '../../src/telephony/twilio/caller-id.js';

const areaCodes = ['212', '305', '415', '416', '312'];
const nanpNumber = fc
  .tuple(fc.constantFrom(...areaCodes), fc.integer({ min: 0, max: 9999 }))
  .map(([area, n]) => `+1${area}555${String(n).padStart(4, '0')}`);
const pool = fc.uniqueArray(nanpNumber, { minLength: 1, maxLength: 6 });

describe('pickCallerId (domain)', () => {
  it('is the one rule the domain entry point and the Twilio adapter export', () => {
    expect(domain.pickCallerId).toBe(pickCallerId);
    expect(adapter.pickCallerId).toBe(pickCallerId);
  });

  it('local presence shows the callee’s own area code whenever the pool has one', () => {
    fc.assert(
      fc.property(pool, nanpNumber, fc.integer(), (numbers, to, counter) => {
        const from = pickCallerId(numbers, to, 'local-presence', counter);
        expect(numbers).toContain(from);
        const local = numbers.some((n) => n.slice(0, 5) === to.slice(0, 5));
        expect(from.slice(0, 5) === to.slice(0, 5)).toBe(local);
      }),
    );
  });

  it('round robin gives each number of the pool one turn in every run of pool-size counters', () => {
    fc.assert(
      fc.property(pool, nanpNumber, fc.integer({ min: -1e6, max: 1e6 }), (numbers, to, start) => {
        const picks = numbers.map((_, i) => pickCallerId(numbers, to, 'round-robin', start + i));
        expect([...picks].sort()).toEqual([...numbers].sort());
      }),
    );
  });

  it('falls back to a number of the callee’s country before any other', () => {
    const numbers = ['+14165550100', '+12125550100', '+442071838750'];
    // Toronto 647 has no local number; the Canadian 416 number is the same country.
    expect(pickCallerId(numbers, '+16475550123', 'local-presence', 9)).toBe('+14165550100');
    expect(pickCallerId(numbers, '+447911123456', 'local-presence', 2)).toBe('+442071838750');
    // Nothing in France: plain rotation.
    expect(pickCallerId(numbers, '+33612345678', 'local-presence', 1)).toBe(numbers[1]);
  });

  it('refuses an empty pool', () => {
    expect(() => pickCallerId([], '+12125559999', 'local-presence', 0)).toThrow(/empty/);
  });
});
