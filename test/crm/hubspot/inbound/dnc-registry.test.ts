/**
 * National DNC registry: streamed CSV import (bad rows reported by line; nothing changes unless skipped), the
 * 31-day rule at start/resume, and the watchdog that pauses a campaign whose registry turns stale.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  importRegistryFile,
  pauseStaleScrubCampaigns,
} from '../../../../src/crm/hubspot/inbound/dnc-registry.js';
import { main as importCli } from '../../../../src/cli/import-dnc-registry.js';
import { messageCampaign } from '../../../engine/fixtures/harness.js';
import { P, inboundHarness } from './fixtures.js';
import type { InboundHarness } from './fixtures.js';

const DAY = 86_400_000;
const settle = (ms = 15) => new Promise((r) => setTimeout(r, ms));

function registryFile(lines: string[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'dncreg-')), 'registry.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** The clock's date minus `days`, as YYYY-MM-DD. */
function daysAgo(h: InboundHarness, days: number) {
  return new Date(h.clock.now() - days * DAY).toISOString().slice(0, 10);
}

describe('national DNC registry', () => {
  let h: InboundHarness;
  beforeEach(async () => {
    h = await inboundHarness('hsdncreg');
  });
  afterEach(() => h.close());

  const importFile = (file: string, versionDate: string, skipBadRows = false) =>
    importRegistryFile({
      store: h.store,
      registry: h.inbound.registry,
      portalId: P,
      file,
      versionDate,
      defaultRegion: 'US',
      now: h.clock.now(),
      skipBadRows,
      chunkSize: 2,
    });

  it('a file with a bad row imports nothing unless told to skip it, and says which line and why', async () => {
    const file = registryFile(['phone_number', '2125550901', '(212) 555-0902', 'banana', '+1 212 555 0903']);
    const refused = await importFile(file, '2030-01-05');
    expect(refused).toMatchObject({ applied: false, imported: 0 });
    expect(refused.badRows).toEqual([{ line: 4, value: 'banana', reason: expect.any(String) }]);
    expect(await h.store.isDoNotCall(P, '+12125550901')).toBe(false);
    expect(await h.inbound.registry.get(P)).toBeNull();

    const done = await importFile(file, '2030-01-05', true);
    expect(done).toMatchObject({ applied: true, imported: 3 });
    for (const n of ['+12125550901', '+12125550902', '+12125550903'])
      expect(await h.store.isDoNotCall(P, n)).toBe(true);
    expect(await h.inbound.registry.get(P)).toMatchObject({ versionDate: '2030-01-05', numbers: 3 });
  });

  it('a campaign requiring scrubbing refuses to start with a registry older than 31 days, and says so', async () => {
    const c = await h.campaigns.create(P, { ...messageCampaign(), requiresRegistryScrub: true }, 'scrub');
    await h.campaigns.enroll(P, c.campaignId, [{ contactId: '1', phone: '+12125550111' }]);
    await expect(h.campaigns.act(P, c.campaignId, 'start')).rejects.toThrow(/no registry has been imported/);

    await importFile(registryFile(['2125550999']), daysAgo(h, 32));
    await expect(h.campaigns.act(P, c.campaignId, 'start')).rejects.toThrow(
      /cannot start campaign scrub: .*registry \(version \d{4}-\d{2}-\d{2}\) is 32 days old; at most 31 days/,
    );
    expect((await h.campaigns.get(P, c.campaignId)).status).toBe('draft');

    // a campaign without the requirement is not held back by the same registry
    const free = await h.campaigns.create(P, messageCampaign(), 'free');
    await h.campaigns.enroll(P, free.campaignId, [{ contactId: '2', phone: '+12125550112' }]);
    expect((await h.campaigns.act(P, free.campaignId, 'start')).status).toBe('active');

    await importFile(registryFile(['2125550999']), daysAgo(h, 3));
    expect((await h.campaigns.act(P, c.campaignId, 'start')).status).toBe('active');
  });

  it('an active campaign is paused when its registry turns stale, and dials nothing more', async () => {
    await importFile(registryFile(['2125550999']), daysAgo(h, 30));
    const c = await h.campaigns.create(
      P,
      { ...messageCampaign({ callsPerSecond: 1, maxConcurrentCalls: 10 }), requiresRegistryScrub: true },
      'scrub',
    );
    await h.campaigns.enroll(
      P,
      c.campaignId,
      Array.from({ length: 5 }, (_, i) => ({ contactId: `${i}`, phone: `+1212555012${i}` })),
    );
    await h.campaigns.act(P, c.campaignId, 'start');
    expect((await pauseStaleScrubCampaigns(h, P)).paused).toEqual([]);
    await h.engine.pass(P);
    await settle();
    const dialed = h.telephony.dials.length;
    expect(dialed).toBeGreaterThan(0);

    h.clock.advance(2 * DAY);
    const { paused } = await pauseStaleScrubCampaigns(h, P);
    expect(paused).toEqual([c.campaignId]);
    const record = await h.campaigns.get(P, c.campaignId);
    expect(record.status).toBe('paused');
    for (let i = 0; i < 5; i++) {
      h.clock.advance(1000);
      await h.engine.pass(P);
      await settle();
    }
    expect(h.telephony.dials).toHaveLength(dialed);
    await expect(h.campaigns.act(P, c.campaignId, 'resume')).rejects.toThrow(/32 days old/);
  });

  it('the CLI names a bad argument and exits 2', async () => {
    let out = '';
    const sink = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
    expect(
      await importCli(['--portal', 'abc', '--file', 'x.csv', '--version-date', '2030-13-01'], sink),
    ).toBe(2);
    expect(out).toMatch(/--portal: expected the numeric HubSpot portal id/);
    expect(out).toMatch(/version-date/);
  });
});
