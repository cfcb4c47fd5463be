/** The in-memory event log's tail finds "entries after an id" like XREAD does, for ids in the log or not. */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { compareIds, MemoryEventLog } from '../../src/engine/store/memory/events.js';

describe('MemoryEventLog.tail', () => {
  it('returns the entries after any id, in order (oracle: a filter over the whole log)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 0, maxLength: 40 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 5 })), {
          maxLength: 10,
        }),
        async (steps, probes) => {
          let now = 100;
          const log = new MemoryEventLog({ now: () => now, sleep: async () => {} });
          for (const step of steps) {
            now += step; // several entries share a millisecond when step is 0
            await log.append('p', {
              type: 'lead.removed',
              portalId: 'p',
              campaignId: 'c',
              contactId: 'x',
              reason: 'DELETED',
              at: now,
            });
          }
          const all = await log.tail('p', '0', { count: 1000, blockMs: 0 });
          expect(all.length).toBe(steps.length);
          const ids = [...all.map((e) => e.id), ...probes.map(([ms, seq]) => `${ms}-${seq}`), '0', '0-0'];
          for (const afterId of ids) {
            const expected = all.filter((e) => compareIds(e.id, afterId) > 0).slice(0, 7);
            expect(await log.tail('p', afterId, { count: 7, blockMs: 0 })).toEqual(expected);
          }
          log.close();
        },
      ),
      { numRuns: 60 },
    );
  });
});
