import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { LruCache } from '../../src/engine/lru.js';

describe('LruCache', () => {
  it('matches a model: holds at most `capacity` keys and evicts the least recently used', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('get' as const), key: fc.integer({ min: 0, max: 9 }) }),
      fc.record({
        kind: fc.constant('set' as const),
        key: fc.integer({ min: 0, max: 9 }),
        value: fc.integer(),
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 60 }), (capacity, ops) => {
        const cache = new LruCache<number, number>(capacity);
        // Model: most recent last.
        let model: [number, number][] = [];
        for (const o of ops) {
          const at = model.findIndex(([k]) => k === o.key);
          if (o.kind === 'get') {
            expect(cache.get(o.key)).toBe(at >= 0 ? model[at]![1] : undefined);
            if (at >= 0) model = [...model.filter((_, i) => i !== at), model[at]!];
          } else {
            cache.set(o.key, o.value);
            model = [...model.filter(([k]) => k !== o.key), [o.key, o.value]];
            if (model.length > capacity) model = model.slice(1);
          }
          expect(cache.size).toBe(model.length);
        }
      }),
    );
  });

  it('refuses a capacity below one', () => {
    expect(() => new LruCache(0)).toThrow(RangeError);
  });
});
