import { describe, it, expect } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalSampleCrm } from '../../src/crm/local-sample-crm.js';
import { CallRecordNotFoundError, CrmRateLimitError } from '../../src/crm/writeback.js';
import type { CallRecord } from '../../src/crm/crm.js';

const record = (attemptId: string, contactId = 'c1'): CallRecord => ({
  attemptId,
  portalId: 'p',
  contactId,
  campaignId: 'camp',
  toNumber: '+13055550101',
  fromNumber: '+13055550100',
  startedAt: 1,
  durationSec: 3,
  disposition: 'BUSY',
  outcomeLabel: 'Busy',
});

describe('LocalSampleCrm', () => {
  it('pages through a list', async () => {
    const crm = new LocalSampleCrm({ pageSize: 2 });
    crm.addContacts('L', [{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
    const p1 = await crm.listContacts('L');
    const p2 = await crm.listContacts('L', p1.next);
    expect(p1.contacts.map((c) => c.id)).toEqual(['a', 'b']);
    expect(p2).toEqual({ contacts: [{ id: 'c' }] });
    await expect(crm.listContacts('missing')).rejects.toThrow('list missing does not exist');
  });

  it('records a call once per attemptId and counts the duplicates', async () => {
    const crm = new LocalSampleCrm();
    crm.addContacts('L', [{ id: 'c1' }]);
    const first = await crm.recordCall(record('a1'));
    const again = await crm.recordCall({ ...record('a1'), outcomeLabel: 'changed' });
    expect(again).toEqual(first);
    expect(crm.callsFor('c1')).toHaveLength(1);
    expect(crm.counts()).toMatchObject({ calls: 1, duplicateWritesIgnored: 1 });
  });

  it('sets DNC and marks wrong numbers', async () => {
    const crm = new LocalSampleCrm();
    crm.addContacts('L', [{ id: 'c1', phone: '+13055550101' }]);
    await crm.setDoNotCall('c1', true, 'asked');
    await crm.markWrongNumber('c1', '+13055550101');
    await crm.markWrongNumber('c1', '+13055550101');
    expect(crm.contact('c1')?.doNotCall).toBe(true);
    expect(crm.wrongNumbersOf('c1')).toEqual(['+13055550101']);
    await expect(crm.setDoNotCall('nobody', true)).rejects.toThrow('contact nobody does not exist');
  });

  it('simulates 429s at the configured rate', async () => {
    const draws = [0.1, 0.9];
    const crm = new LocalSampleCrm({
      rateLimit: { rate: 0.5, retryAfterMs: 750, random: () => draws.shift() ?? 0.9 },
    });
    crm.addContacts('L', [{ id: 'c1' }]);
    const error = await crm.recordCall(record('a1')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CrmRateLimitError);
    expect((error as CrmRateLimitError).retryAfterMs).toBe(750);
    await expect(crm.recordCall(record('a1'))).resolves.toEqual({ id: 'call-1' });
    expect(crm.counts().rateLimited).toBe(1);
  });

  it('persists to a JSON file and keeps idempotency across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'autodial-crm-'));
    try {
      const filePath = join(dir, 'crm.json');
      const a = new LocalSampleCrm({ filePath });
      a.addContacts('L', [{ id: 'c1' }]);
      await a.recordCall(record('a1'));
      const b = new LocalSampleCrm({ filePath });
      expect(await b.recordCall(record('a1'))).toEqual({ id: 'call-1' });
      expect(b.counts()).toMatchObject({ contacts: 1, calls: 1 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('updates a call record from a wrap-up, idempotently, and refuses one not written yet', async () => {
    const crm = new LocalSampleCrm();
    crm.addContacts('L', [{ id: 'c1' }]);
    const patch = {
      disposition: 'CONNECTED' as const,
      outcomeLabel: 'Call me in June',
      notes: 'prefers email',
    };
    await expect(crm.updateCall('a1', patch)).rejects.toBeInstanceOf(CallRecordNotFoundError);
    await expect(crm.updateCall('a1', patch)).rejects.toThrow('no call record for attempt a1 yet');
    await crm.recordCall(record('a1'));
    await crm.updateCall('a1', patch);
    await crm.updateCall('a1', patch);
    expect(crm.callsFor('c1')).toHaveLength(1);
    expect(crm.callByAttempt('a1')).toMatchObject({ ...patch, durationSec: 3, toNumber: '+13055550101' });
    // A later wrap-up without notes keeps the earlier notes (a patch changes only what it names).
    await crm.updateCall('a1', { disposition: 'DECLINED', outcomeLabel: 'Not interested' });
    expect(crm.callByAttempt('a1')).toMatchObject({ disposition: 'DECLINED', notes: 'prefers email' });
  });
});
