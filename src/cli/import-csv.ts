/**
 * CSV import: parse and validate the whole file (with progress), print every problem by row and field, and
 * only when the file is clean (or `--skip-bad-rows` is given) hand the rows on in chunks. Without that flag, a
 * file with any error imports nothing.
 *
 *   npx tsx src/cli/import-csv.ts contacts.csv [--region US] [--skip-bad-rows]
 *   npx tsx src/cli/import-csv.ts contacts.csv --crm hubspot --campaign <campaignId> [--skip-bad-rows]
 *
 * With `--crm hubspot`, duplicates (same phone or email) are merged, contacts are created or updated in HubSpot
 * in batches of 100 (matched by phone or email), then enrolled in the campaign. It reads the same environment
 * as the backend (CRM=hubspot with a private-app token, REDIS_URL).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseContactsCsv, type ContactRow, type CsvRowError } from '../crm/csv.js';
import { UPSERT_BATCH, mergeDuplicateRows, upsertContactBatch } from '../crm/hubspot/csv-import.js';
import type { HubSpotGateway } from '../crm/hubspot/gateway.js';
import type { EnrollReport } from '../engine/campaigns.js';
import { createProgress } from '../observability/progress.js';

type Out = NodeJS.WritableStream & { isTTY?: boolean };

export interface ImportCsvOptions {
  text: string;
  defaultRegion: string;
  /** Receives validated rows in chunks; the lead wires this to the engine's enrollment. */
  enroll: (rows: ContactRow[]) => Promise<void>;
  chunkSize?: number;
  /** Import the good rows of a file that has bad ones (each bad row is still reported). */
  skipBadRows?: boolean;
  out?: Out;
}

export interface ImportCsvResult {
  ok: boolean;
  imported: number;
  errors: CsvRowError[];
}

export function formatCsvErrors(errors: readonly CsvRowError[]): string {
  return errors.map((e) => `  row ${e.row}, ${e.field}: ${e.message}`).join('\n');
}

/** Parses and applies the error policy; null when nothing may be imported. */
function validRows(text: string, defaultRegion: string, skipBadRows: boolean, out: Out) {
  const { rows, errors } = parseContactsCsv(text, { defaultRegion });
  // File-level problems (unreadable, unknown columns) are never skippable.
  const fileLevel = errors.some((e) => e.row <= 1 || e.field === '(file)');
  if (errors.length > 0 && (!skipBadRows || fileLevel)) {
    out.write(
      `The file has ${errors.length} problem(s); nothing was imported:\n${formatCsvErrors(errors)}\n`,
    );
    return { rows: null, errors };
  }
  if (errors.length > 0) {
    out.write(`Skipping ${errors.length} bad row(s) (--skip-bad-rows):\n${formatCsvErrors(errors)}\n`);
  }
  return { rows, errors };
}

export async function importContactsCsv(options: ImportCsvOptions): Promise<ImportCsvResult> {
  const out = options.out ?? process.stdout;
  const { rows, errors } = validRows(options.text, options.defaultRegion, options.skipBadRows ?? false, out);
  if (!rows) return { ok: false, imported: 0, errors };
  const chunkSize = options.chunkSize ?? 500;
  const progress = createProgress({ label: 'Enrolling contacts', total: rows.length, stream: out });
  let imported = 0;
  try {
    for (let i = 0; i < rows.length; i += chunkSize) {
      const chunk = rows.slice(i, i + chunkSize);
      await options.enroll(chunk);
      imported += chunk.length;
      progress.increment(chunk.length);
    }
  } finally {
    progress.stop();
  }
  out.write(`Imported ${imported} contact(s).\n`);
  return { ok: true, imported, errors };
}

export interface ImportCsvToHubSpotOptions {
  text: string;
  defaultRegion: string;
  gateway: HubSpotGateway;
  portalId: string;
  campaignId: string;
  enroll: (portalId: string, campaignId: string, rows: unknown[]) => Promise<EnrollReport>;
  skipBadRows?: boolean;
  out?: Out;
}

export interface ImportCsvToHubSpotResult extends ImportCsvResult {
  merged: number;
  created: number;
  updated: number;
  enrolled: number;
  skipped: number;
}

export async function importCsvToHubSpot(
  options: ImportCsvToHubSpotOptions,
): Promise<ImportCsvToHubSpotResult> {
  const out = options.out ?? process.stdout;
  const { rows, errors } = validRows(options.text, options.defaultRegion, options.skipBadRows ?? false, out);
  const result = {
    ok: false,
    imported: 0,
    errors,
    merged: 0,
    created: 0,
    updated: 0,
    enrolled: 0,
    skipped: 0,
  };
  if (!rows) return result;
  const contacts = mergeDuplicateRows(rows);
  result.merged = rows.length - contacts.length;
  for (const c of contacts.filter((m) => m.rows.length > 1)) {
    out.write(`  rows ${c.rows.join(', ')}: same phone or email, merged into one contact\n`);
  }
  const progress = createProgress({ label: 'Importing into HubSpot', total: contacts.length, stream: out });
  try {
    for (let i = 0; i < contacts.length; i += UPSERT_BATCH) {
      const chunk = contacts.slice(i, i + UPSERT_BATCH);
      const upserted = await upsertContactBatch(options.gateway, options.portalId, chunk);
      result.created += upserted.created;
      result.updated += upserted.updated;
      const report = await options.enroll(
        options.portalId,
        options.campaignId,
        chunk.map((c, j) => ({
          contactId: upserted.ids[j]!,
          phone: c.phone,
          ...(c.timeZone ? { timeZone: c.timeZone } : {}),
          doNotCall: c.doNotCall,
        })),
      );
      result.enrolled += report.enrolled;
      result.skipped += report.skipped.length;
      result.imported += chunk.length;
      progress.increment(chunk.length);
    }
  } finally {
    progress.stop();
  }
  out.write(
    `Imported ${result.imported} contact(s) into HubSpot (${result.created} created, ${result.updated} updated, ` +
      `${result.merged} duplicate row(s) merged); ${result.enrolled} enrolled, ${result.skipped} skipped.\n`,
  );
  result.ok = true;
  return result;
}

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(argv: string[]): Promise<number> {
  const file = argv.find((a, i) => !a.startsWith('--') && !argv[i - 1]?.match(/^--(region|crm|campaign)$/));
  const region = flag(argv, '--region') ?? 'US';
  const crm = flag(argv, '--crm') ?? 'local';
  const campaignId = flag(argv, '--campaign');
  const skipBadRows = argv.includes('--skip-bad-rows');
  const usage =
    'usage: import-csv <file.csv> [--region US] [--skip-bad-rows] [--crm hubspot --campaign <campaignId>]\n';
  if (
    !file ||
    !/^[A-Z]{2}$/.test(region) ||
    !['local', 'hubspot'].includes(crm) ||
    (crm === 'hubspot' && !campaignId)
  ) {
    process.stderr.write(usage);
    return 2;
  }
  const text = readFileSync(file, 'utf8');
  if (crm === 'local') {
    const result = await importContactsCsv({
      text,
      defaultRegion: region,
      skipBadRows,
      // Until the engine is wired in, a dry run: validation and the summary only.
      enroll: async () => {},
    });
    return result.ok ? 0 : 1;
  }
  const { loadEnv } = await import('../config/env.js');
  const { composeBackend } = await import('../app/compose.js');
  const backend = await composeBackend(loadEnv({ ...process.env, CRM: 'hubspot' }));
  try {
    const result = await importCsvToHubSpot({
      text,
      defaultRegion: region,
      gateway: backend.hubspot!.gateway,
      portalId: backend.portalId,
      campaignId: campaignId!,
      enroll: (p, c, rows) => backend.campaigns.enroll(p, c, rows),
      skipBadRows,
    });
    return result.ok ? 0 : 1;
  } finally {
    await backend.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
