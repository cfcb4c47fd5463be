import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { parseContactsCsv } from '../../src/crm/csv.js';

describe('parseContactsCsv', () => {
  it('reads the header layout and normalizes numbers to E.164', () => {
    const text = [
      'id,phone,first_name,last_name,time_zone,do_not_call',
      'c1,(305) 555-0123,Ana,Silva,America/New_York,no',
      'c2,+44 20 7946 0123,Ben,Okafor,,yes',
      'c3,405.555.0150,"Chloé, Jr",Nguyen,,',
    ].join('\n');
    const { rows, errors } = parseContactsCsv(text, { defaultRegion: 'US' });
    expect(errors).toEqual([]);
    expect(rows).toEqual([
      {
        id: 'c1',
        phone: '+13055550123',
        firstName: 'Ana',
        lastName: 'Silva',
        timeZone: 'America/New_York',
        doNotCall: false,
        source: undefined,
        row: 2,
      },
      {
        id: 'c2',
        phone: '+442079460123',
        firstName: 'Ben',
        lastName: 'Okafor',
        timeZone: undefined,
        doNotCall: true,
        source: undefined,
        row: 3,
      },
      {
        id: 'c3',
        phone: '+14055550150',
        firstName: 'Chloé, Jr',
        lastName: 'Nguyen',
        timeZone: undefined,
        doNotCall: false,
        source: undefined,
        row: 4,
      },
    ]);
  });

  it("reads the seed's header-less three-column layout", () => {
    const { rows, errors } = parseContactsCsv(
      '12025550101,John Doe,Google Ads\n14165550123,Marie Claire Roy,Referral\n',
      {
        defaultRegion: 'US',
      },
    );
    expect(errors).toEqual([]);
    expect(rows).toEqual([
      {
        id: 'csv-row-1',
        phone: '+12025550101',
        firstName: 'John',
        lastName: 'Doe',
        timeZone: undefined,
        doNotCall: false,
        source: 'Google Ads',
        row: 1,
      },
      {
        id: 'csv-row-2',
        phone: '+14165550123',
        firstName: 'Marie',
        lastName: 'Claire Roy',
        timeZone: undefined,
        doNotCall: false,
        source: 'Referral',
        row: 2,
      },
    ]);
  });

  it('names the row, the field and why for every problem', () => {
    const text = [
      'phone,first_name,time_zone,do_not_call,id,colour',
      '555-1234,Ana,America/New_York,no,a',
      '+13055550123,Ben,Mars/Olympus,maybe,b',
      ',Chloé,,,c',
      '+13055550124,Dev,,,a',
      '+13055550125,Emma,,,e,blue,extra',
    ].join('\n');
    const { rows, errors } = parseContactsCsv(text, { defaultRegion: 'US' });
    expect(errors).toEqual([
      {
        row: 1,
        field: 'colour',
        message:
          'unknown column; expected some of: phone, first_name, last_name, time_zone, do_not_call, id, email',
      },
      {
        row: 2,
        field: 'phone',
        message: '"555-1234" is not a valid phone number (numbers without +country are read as US)',
      },
      { row: 3, field: 'time_zone', message: 'expected an IANA time zone such as America/New_York' },
      { row: 3, field: 'do_not_call', message: 'expected true/false, yes/no or 1/0' },
      { row: 4, field: 'phone', message: 'a phone number is required' },
      { row: 6, field: '(row)', message: '7 values but 6 columns' },
    ]);
    // Row 5 reuses id "a" of a row that was rejected, so it is accepted; the caller still imports nothing.
    expect(rows.map((r) => r.row)).toEqual([5]);
  });

  it('rejects a repeated id and unreadable CSV', () => {
    expect(
      parseContactsCsv('id,phone\nx,+13055550123\nx,+13055550124', { defaultRegion: 'US' }).errors,
    ).toEqual([{ row: 3, field: 'id', message: 'id "x" already used on row 2' }]);
    const broken = parseContactsCsv('phone\n"+1305555', { defaultRegion: 'US' });
    expect(broken.rows).toEqual([]);
    expect(broken.errors[0]).toMatchObject({ field: '(file)' });
    expect(parseContactsCsv('', { defaultRegion: 'US' }).errors).toEqual([
      { row: 0, field: '(file)', message: 'the file has no rows' },
    ]);
  });

  it('property: every input row is either a row or at least one error naming it, never both', () => {
    const cell = fc.oneof(
      fc.constantFrom(
        '+13055550123',
        '(405) 555-0150',
        '020 7946 0123',
        'garbage',
        '',
        'yes',
        'maybe',
        'America/Chicago',
        'Nowhere/Zone',
      ),
      fc.string({ maxLength: 8 }).map((s) => s.replace(/["\r\n]/g, '')),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(cell, cell, cell, cell), { minLength: 1, maxLength: 15 }), (records) => {
        const text = [
          'phone,first_name,time_zone,do_not_call',
          ...records.map((r) => r.map((c) => `"${c}"`).join(',')),
        ].join('\n');
        const { rows, errors } = parseContactsCsv(text, { defaultRegion: 'GB' });
        for (let i = 0; i < records.length; i++) {
          const line = i + 2;
          const ok = rows.some((r) => r.row === line);
          const bad = errors.some((e) => e.row === line);
          expect(ok !== bad).toBe(true);
        }
        for (const e of errors) expect(e.field.length > 0 && e.message.length > 0).toBe(true);
        for (const r of rows) expect(r.phone).toMatch(/^\+[1-9]\d{6,14}$/);
      }),
    );
  });
});
