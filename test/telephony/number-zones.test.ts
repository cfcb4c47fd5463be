import { describe, expect, it } from '@jest/globals';
import { createNumberZoneLookup } from '../../src/telephony/number-zones.js';

describe('createNumberZoneLookup (real geo data)', () => {
  const lookup = createNumberZoneLookup();

  it('finds New York for a 212 number and London for a 20 7 number', async () => {
    expect(await lookup.candidateZones('+12125550101')).toEqual(['America/New_York']);
    expect(await lookup.candidateZones('+442079460000')).toEqual(['Europe/London']);
  });

  it('gives a toll-free +1 800 number every NANP zone', async () => {
    const zones = await lookup.candidateZones('+18002345678');
    expect(zones.length).toBeGreaterThan(20);
    expect(zones).toEqual(
      expect.arrayContaining(['America/New_York', 'America/Los_Angeles', 'Pacific/Honolulu']),
    );
  });

  it('returns [] for numbers with no zone data or that do not parse', async () => {
    expect(await lookup.candidateZones('not a number')).toEqual([]);
    expect(await lookup.candidateZones('+999123456789')).toEqual([]);
  });
});

describe('createNumberZoneLookup (cache)', () => {
  function counting(answer: (e164: string) => string[] | null) {
    const calls: string[] = [];
    const zonesOf = async (e164: string) => {
      calls.push(e164);
      return answer(e164);
    };
    return { calls, zonesOf };
  }

  it('looks each prefix up once, concurrent look-ups included, and filters unknown zones', async () => {
    const source = counting(() => ['America/Chicago', 'Etc/Unknown']);
    const lookup = createNumberZoneLookup({ zonesOf: source.zonesOf });
    const answers = await Promise.all(
      ['+13125550101', '+13125550102', '+13125559999', '+13125550101'].map((n) => lookup.candidateZones(n)),
    );
    expect(answers).toEqual(Array(4).fill(['America/Chicago']));
    expect(source.calls).toEqual(['+13125550101']);
    await lookup.candidateZones('+13126660101'); // another NPA-NXX
    expect(source.calls).toHaveLength(2);
  });

  it('keys non-NANP numbers on 9 digits, the finest prefix in the data', async () => {
    const source = counting(() => ['Europe/Berlin']);
    const lookup = createNumberZoneLookup({ zonesOf: source.zonesOf });
    await lookup.candidateZones('+493012345678');
    await lookup.candidateZones('+493012345999');
    await lookup.candidateZones('+493012355678');
    expect(source.calls).toEqual(['+493012345678', '+493012355678']);
  });

  it('stays bounded, evicting the least recently used prefix', async () => {
    const source = counting(() => ['America/New_York']);
    const lookup = createNumberZoneLookup({ zonesOf: source.zonesOf, maxCachedPrefixes: 2 });
    await lookup.candidateZones('+12125550101'); // A
    await lookup.candidateZones('+12126660101'); // B
    await lookup.candidateZones('+12125550102'); // A again: now most recent
    await lookup.candidateZones('+12127770101'); // C evicts B
    await lookup.candidateZones('+12125550103'); // A still cached
    expect(source.calls).toHaveLength(3);
    await lookup.candidateZones('+12126660102'); // B was evicted
    expect(source.calls).toHaveLength(4);
  });

  it('does not cache failures, and callers cannot corrupt the cached list', async () => {
    let fail = true;
    const lookup = createNumberZoneLookup({
      zonesOf: async () => {
        if (fail) throw new Error('disk');
        return ['Asia/Tokyo'];
      },
    });
    await expect(lookup.candidateZones('+81312345678')).rejects.toThrow('disk');
    fail = false;
    const zones = await lookup.candidateZones('+81312345678');
    expect(zones).toEqual(['Asia/Tokyo']);
    zones.push('Mutated/Zone');
    expect(await lookup.candidateZones('+81312345678')).toEqual(['Asia/Tokyo']);
  });
});
