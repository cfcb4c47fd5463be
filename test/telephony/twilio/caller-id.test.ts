import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { pickCallerId } from '../../../src/telephony/twilio/caller-id.js';

const pool = ['+14155550100', '+12125550100', '+12125550101', '+442071838750'];

describe('pickCallerId', () => {
  it('round robin rotates through the pool with the counter', () => {
    expect([0, 1, 2, 3, 4].map((c) => pickCallerId(pool, '+13125550000', 'round-robin', c))).toEqual([
      pool[0],
      pool[1],
      pool[2],
      pool[3],
      pool[0],
    ]);
  });

  it('local presence prefers the same area code, rotating among matches', () => {
    expect(pickCallerId(pool, '+12125559999', 'local-presence', 0)).toBe('+12125550100');
    expect(pickCallerId(pool, '+12125559999', 'local-presence', 1)).toBe('+12125550101');
    expect(pickCallerId(pool, '+14155559999', 'local-presence', 7)).toBe('+14155550100');
  });

  it('local presence falls back to the same country, then to round robin', () => {
    expect(pickCallerId(pool, '+447911123456', 'local-presence', 3)).toBe('+442071838750');
    // Chicago (312) has no local number: any US number will do, same country as the contact.
    expect(['+14155550100', '+12125550100', '+12125550101']).toContain(
      pickCallerId(pool, '+13125550000', 'local-presence', 5),
    );
    expect(pickCallerId(pool, '+33612345678', 'local-presence', 1)).toBe(pool[1]);
  });

  it('always returns a pool member, whatever the counter', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.constantFrom<'round-robin' | 'local-presence'>('round-robin', 'local-presence'),
        (n, s) => {
          expect(pool).toContain(pickCallerId(pool, '+12125559999', s, n));
        },
      ),
    );
  });

  it('refuses an empty pool', () => {
    expect(() => pickCallerId([], '+12125559999', 'round-robin', 0)).toThrow(/empty/);
  });
});

// suggestPaceAfterQueueing moved to the domain: test/domain/pace.test.ts.
