/** The set of served portals: fixed in static-token/local mode, the install set as it changes in OAuth mode. */
import { describe, expect, it } from '@jest/globals';
import { installedPortalRegistry, staticPortalRegistry } from '../../src/app/portal-registry.js';
import type { PortalChange } from '../../src/app/portal-registry.js';

describe('PortalRegistry', () => {
  it('static mode serves the one portal, reported once', async () => {
    const registry = staticPortalRegistry('42');
    expect(await registry.refresh()).toEqual({ added: ['42'], removed: [] });
    expect(await registry.refresh()).toEqual({ added: [], removed: [] });
    expect(registry.portals()).toEqual(['42']);
  });

  it('OAuth mode reports installs and uninstalls between reads, each once, to the listener', async () => {
    let installed = ['7002', '7001'];
    const registry = installedPortalRegistry({
      installedPortals: async () => installed,
      everyMs: 600_000,
      onError: (err) => {
        throw err;
      },
    });
    expect(await registry.refresh()).toEqual({ added: ['7001', '7002'], removed: [] });
    const heard: PortalChange[] = [];
    registry.start(async (change) => {
      heard.push(change);
    });
    installed = ['7001', '7003'];
    // two overlapping reads report the change once
    const [one, two] = await Promise.all([registry.refresh(), registry.refresh()]);
    expect(one).toEqual({ added: ['7003'], removed: ['7002'] });
    expect(two).toEqual({ added: [], removed: [] });
    expect(heard).toEqual([{ added: ['7003'], removed: ['7002'] }]);
    expect(registry.portals()).toEqual(['7001', '7003']);
    registry.stop();
  });
});
