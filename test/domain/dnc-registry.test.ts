import { describe, expect, it } from '@jest/globals';
import { registryScrubVerdict, registryStaleAt } from '../../src/domain/dnc-registry.js';

const version = (versionDate: string) => ({ versionDate, importedAt: 0, numbers: 1 });

describe('national DNC registry freshness', () => {
  it('allows 31 full days after the version date and refuses from the 32nd', () => {
    expect(registryStaleAt('2030-01-01')).toBe(Date.parse('2030-02-02T00:00:00Z'));
    const lastOk = Date.parse('2030-02-01T23:59:59Z');
    expect(registryScrubVerdict(lastOk, true, version('2030-01-01')).ok).toBe(true);
    const stale = registryScrubVerdict(Date.parse('2030-02-02T00:00:00Z'), true, version('2030-01-01'));
    expect(stale).toMatchObject({ ok: false, reason: 'REGISTRY_STALE' });
    expect(!stale.ok && stale.message).toMatch(/version 2030-01-01\) is 32 days old; at most 31/);
  });

  it('a campaign that does not require scrubbing is never held back; one that does needs a registry', () => {
    expect(registryScrubVerdict(0, false, null)).toEqual({ ok: true, staleAt: null });
    expect(registryScrubVerdict(0, true, null)).toMatchObject({ ok: false, reason: 'REGISTRY_MISSING' });
  });
});
