/**
 * Contact CSV parsing (pure: text in, rows or errors out). Two layouts: a header row naming the columns
 * (phone, first_name, last_name, time_zone, do_not_call, id, email), or the seed's header-less three columns
 * "12025550101,John Doe,Google Ads". Every row goes through a zod schema; each problem names the file row,
 * the field and why, and the caller imports nothing when there is any.
 */
import { parse } from 'csv-parse/sync';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { z } from 'zod';
import { IanaZoneSchema } from '../domain/settings.js';

export interface ContactRow {
  id: string;
  phone: string;
  firstName?: string;
  lastName?: string;
  /** Lower-cased; the HubSpot import matches existing contacts by phone or email. */
  email?: string;
  timeZone?: string;
  doNotCall: boolean;
  /** Lead source, from the three-column layout. */
  source?: string;
  /** 1-based line of the file the row came from. */
  row: number;
}

export interface CsvRowError {
  row: number;
  field: string;
  message: string;
}

export interface CsvParseResult {
  rows: ContactRow[];
  errors: CsvRowError[];
}

const KNOWN_COLUMNS = [
  'phone',
  'first_name',
  'last_name',
  'time_zone',
  'do_not_call',
  'id',
  'email',
] as const;

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `at most ${max} characters`)
    .transform((v) => (v === '' ? undefined : v))
    .optional();

function rowSchema(defaultRegion: CountryCode) {
  return z.object({
    id: z
      .string()
      .trim()
      .max(100, 'at most 100 characters')
      .regex(/^[\w.:-]*$/, 'letters, digits, _ . : - only')
      .optional(),
    phone: z
      .string({ message: 'a phone number is required' })
      .trim()
      .min(1, 'a phone number is required')
      .transform((raw, ctx) => {
        const parsed = parsePhoneNumberFromString(raw, { defaultCountry: defaultRegion });
        if (!parsed || !parsed.isValid()) {
          ctx.addIssue({
            code: 'custom',
            message: `"${raw}" is not a valid phone number (numbers without +country are read as ${defaultRegion})`,
          });
          return z.NEVER;
        }
        return parsed.number;
      }),
    first_name: optionalText(100),
    last_name: optionalText(100),
    email: z
      .string()
      .trim()
      .toLowerCase()
      .transform((v) => (v === '' ? undefined : v))
      .pipe(z.email({ message: 'not a valid email address' }).optional())
      .optional(),
    time_zone: z
      .string()
      .trim()
      .transform((v) => (v === '' ? undefined : v))
      .pipe(IanaZoneSchema.optional())
      .optional(),
    do_not_call: z
      .string()
      .trim()
      .toLowerCase()
      .refine(
        (v) => ['', 'true', 'false', 'yes', 'no', 'y', 'n', '1', '0'].includes(v),
        'expected true/false, yes/no or 1/0',
      )
      .transform((v) => ['true', 'yes', 'y', '1'].includes(v))
      .optional(),
    source: optionalText(200),
  });
}

export function parseContactsCsv(text: string, options: { defaultRegion: string }): CsvParseResult {
  const errors: CsvRowError[] = [];
  const rows: ContactRow[] = [];
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text.replace(/^\uFEFF/, ''), {
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: false,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (error) {
    const e = error as { lines?: number; message: string };
    return {
      rows: [],
      errors: [{ row: e.lines ?? 0, field: '(file)', message: `not readable as CSV: ${e.message}` }],
    };
  }
  if (records.length === 0)
    return { rows, errors: [{ row: 0, field: '(file)', message: 'the file has no rows' }] };

  const firstRow = records[0]!.record.map((h) => h.trim().toLowerCase());
  const hasHeader = firstRow.includes('phone');
  let columns: string[];
  if (hasHeader) {
    columns = firstRow;
    const unknown = columns.filter((c) => c !== '' && !(KNOWN_COLUMNS as readonly string[]).includes(c));
    for (const c of unknown) {
      errors.push({
        row: 1,
        field: c,
        message: `unknown column; expected some of: ${KNOWN_COLUMNS.join(', ')}`,
      });
    }
    const seen = new Set<string>();
    for (const c of columns) {
      if (seen.has(c)) errors.push({ row: 1, field: c, message: 'column appears twice' });
      seen.add(c);
    }
  } else {
    columns = ['phone', 'name', 'source'];
  }

  const schema = rowSchema(options.defaultRegion.toUpperCase() as CountryCode);
  const seenIds = new Map<string, number>();
  for (const { record, info } of hasHeader ? records.slice(1) : records) {
    const row = info.lines;
    if (record.length > columns.length) {
      errors.push({ row, field: '(row)', message: `${record.length} values but ${columns.length} columns` });
      continue;
    }
    const raw: Record<string, string> = {};
    columns.forEach((c, i) => (raw[c] = record[i] ?? ''));
    if (!hasHeader) {
      const [first, ...rest] = (raw.name ?? '').trim().split(/\s+/);
      raw.first_name = first ?? '';
      raw.last_name = rest.join(' ');
      delete raw.name;
    }
    const result = schema.safeParse(raw);
    if (!result.success) {
      for (const issue of result.error.issues) {
        errors.push({ row, field: issue.path.join('.') || '(row)', message: issue.message });
      }
      continue;
    }
    const v = result.data;
    const id = v.id || `csv-row-${row}`;
    const earlier = seenIds.get(id);
    if (earlier !== undefined) {
      errors.push({ row, field: 'id', message: `id "${id}" already used on row ${earlier}` });
      continue;
    }
    seenIds.set(id, row);
    rows.push({
      id,
      phone: v.phone,
      firstName: v.first_name,
      lastName: v.last_name,
      ...(v.email ? { email: v.email } : {}),
      timeZone: v.time_zone,
      doNotCall: v.do_not_call ?? false,
      source: v.source,
      row,
    });
  }
  return { rows, errors };
}
