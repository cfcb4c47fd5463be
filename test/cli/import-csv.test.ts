import { describe, it, expect } from '@jest/globals';
import { Writable } from 'node:stream';
import { importContactsCsv } from '../../src/cli/import-csv.js';
import type { ContactRow } from '../../src/crm/csv.js';

function sink() {
  let text = '';
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer, _e, done) {
        text += chunk.toString();
        done();
      },
    }),
    { isTTY: false },
  );
  return { stream, text: () => text };
}

describe('importContactsCsv', () => {
  it('enrolls a clean file in chunks with progress', async () => {
    const out = sink();
    const chunks: ContactRow[][] = [];
    const text = [
      'phone,first_name',
      ...Array.from({ length: 25 }, (_, i) => `+1305555${String(100 + i).padStart(4, '0')},P${i}`),
    ].join('\n');
    const result = await importContactsCsv({
      text,
      defaultRegion: 'US',
      chunkSize: 10,
      out: out.stream,
      enroll: async (rows) => void chunks.push(rows),
    });
    expect(result).toEqual({ ok: true, imported: 25, errors: [] });
    expect(chunks.map((c) => c.length)).toEqual([10, 10, 5]);
    expect(out.text()).toContain('Enrolling contacts: 25/25 (100%)');
    expect(out.text()).toContain('Imported 25 contact(s).');
  });

  it('prints every error and enrolls nothing when any row is bad', async () => {
    const out = sink();
    let called = false;
    const result = await importContactsCsv({
      text: 'phone,do_not_call\n+13055550101,no\nnot a phone,no\n+13055550102,perhaps',
      defaultRegion: 'US',
      out: out.stream,
      enroll: async () => void (called = true),
    });
    expect(called).toBe(false);
    expect(result.ok).toBe(false);
    expect(out.text()).toContain('The file has 2 problem(s); nothing was imported:');
    expect(out.text()).toContain('row 3, phone: "not a phone" is not a valid phone number');
    expect(out.text()).toContain('row 4, do_not_call: expected true/false, yes/no or 1/0');
  });
});
