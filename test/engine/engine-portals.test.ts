/**
 * Portals join and leave a running engine (OAuth installs and uninstalls): a portal added after start() gets its
 * own worker loop, and a removed one stops being passed over while the others run on.
 */
import { describe, expect, it } from '@jest/globals';
import { CampaignService } from '../../src/engine/campaigns.js';
import type { Clock } from '../../src/shared/clock.js';
import { Engine } from '../../src/engine/dialer.js';
import { MemoryStore } from '../../src/engine/store/memory-store.js';
import { seededRandom } from '../../src/domain/random.js';
import { MONDAY_2PM_NY, RecordingTelephony, nyZones, generousLimits } from './fixtures/harness.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Bounded: a number of event-loop turns, never a wall-clock threshold. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200_000; i++) {
    if (condition()) return;
    await turn();
  }
  throw new Error(`never happened: ${what}`);
}

describe('Engine portals', () => {
  it('adds a portal to a running engine and removes one without stopping the others', async () => {
    // every reading is 5 s later: each pass ends with the next one due, so every served portal is passed often
    let t = MONDAY_2PM_NY;
    const clock: Clock = { now: () => (t += 5_000), sleep: () => turn() };
    const store = new MemoryStore(clock);
    const campaigns = new CampaignService({ store, clock, zones: nyZones, random: seededRandom(1) });
    const engine = new Engine({
      limits: generousLimits,
      store,
      telephony: new RecordingTelephony(clock),
      clock,
      campaigns,
      zones: nyZones,
      random: seededRandom(2),
      onError: (error) => {
        throw error;
      },
    });
    const passes = new Map<string, number>();
    const pass = engine.pass.bind(engine);
    engine.pass = (portalId, stop) => {
      passes.set(portalId, (passes.get(portalId) ?? 0) + 1);
      return pass(portalId, stop);
    };
    expect(() => engine.addPortal('b')).toThrow(/not started/);
    engine.start(['a']);
    try {
      await until(() => (passes.get('a') ?? 0) > 0, 'a pass of a');
      expect(passes.has('b')).toBe(false);
      engine.addPortal('b');
      engine.addPortal('b'); // no second loop
      expect(engine.portals().sort()).toEqual(['a', 'b']);
      await until(() => (passes.get('b') ?? 0) > 5, 'passes of b');

      await engine.removePortal('b');
      expect(engine.portals()).toEqual(['a']);
      const bAfterRemoval = passes.get('b')!;
      const aAfterRemoval = passes.get('a')!;
      await until(() => passes.get('a')! > aAfterRemoval + 20, 'a keeps running');
      expect(passes.get('b')).toBe(bAfterRemoval);
    } finally {
      await engine.stop();
    }
    expect(engine.portals()).toEqual([]);
  });
});
