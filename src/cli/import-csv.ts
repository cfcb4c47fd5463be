/**
 * CSV import: parse and validate the whole file (with progress), print every problem by row and field, and
 * only when the file is clean hand the rows to `enroll` in chunks. A file with any error imports nothing.
 *
 *   npx tsx src/cli/import-csv.ts contacts.csv [--region US]
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseContactsCsv, type ContactRow, type CsvRowError } from '../crm/csv.js';
import { createProgress } from '../observability/progress.js';

export interface ImportCsvOptions {
  text: string;
  defaultRegion: string;
  /** Receives validated rows in chunks; the lead wires this to the engine's enrollment. */
  enroll: (rows: ContactRow[]) => Promise<void>;
  chunkSize?: number;
  out?: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface ImportCsvResult {
  ok: boolean;
  imported: number;
  errors: CsvRowError[];
}

export function formatCsvErrors(errors: readonly CsvRowError[]): string {
  return errors.map((e) => `  row ${e.row}, ${e.field}: ${e.message}`).join('\n');
}

export async function importContactsCsv(options: ImportCsvOptions): Promise<ImportCsvResult> {
  const out = options.out ?? process.stdout;
  const { rows, errors } = parseContactsCsv(options.text, { defaultRegion: options.defaultRegion });
  if (errors.length > 0) {
    out.write(
      `The file has ${errors.length} problem(s); nothing was imported:\n${formatCsvErrors(errors)}\n`,
    );
    return { ok: false, imported: 0, errors };
  }
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
  return { ok: true, imported, errors: [] };
}

async function main(argv: string[]): Promise<number> {
  const file = argv.find((a) => !a.startsWith('--'));
  const regionFlag = argv.indexOf('--region');
  const region = regionFlag >= 0 ? argv[regionFlag + 1] : 'US';
  if (!file || !region || !/^[A-Z]{2}$/.test(region)) {
    process.stderr.write('usage: import-csv <file.csv> [--region US]\n');
    return 2;
  }
  const result = await importContactsCsv({
    text: readFileSync(file, 'utf8'),
    defaultRegion: region,
    // Until the engine is wired in, a dry run: validation and the summary only.
    enroll: async () => {},
  });
  return result.ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
