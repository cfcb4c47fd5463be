/**
 * Structured JSON logs (pino). Phone numbers are personal data: every string that reaches a log line - in the
 * message, in nested fields, in error messages, in child bindings - is masked before it is written, so a
 * careless `log.info({ contact })` cannot leak a number.
 */
import { pino } from 'pino';
import type { DestinationStream, Logger, LevelWithSilent } from 'pino';

export type { Logger };

const MASK = '•';

// Separators people and systems put between digits: spaces (incl. no-break), dots, slashes, brackets and every
// kind of dash. Matching runs on decoded, NFKC-folded text (see `readableForm`), so `%2B1…` and full-width
// digits are plain `+1…` here.
const SEP = String.raw`[\s()./\u2010-\u2015-]`;
// E.164, possibly written with separators: "+13055550123", "+44 20 7946 0958", "+1 (305) 555-0123".
const INTERNATIONAL = new RegExp(String.raw`\+\d(?:${SEP}{0,2}\d){6,14}(?!\d)`, 'g');
// National forms: NANP "(305) 555-0123", "305.555.0123", "1-305-555-0123", "3055550123", "305/555/0123"; UK
// "020 7946 0958", "07700 900123". Bounded by non-word characters so ids, hashes and epoch timestamps are left
// alone.
const NATIONAL = new RegExp(
  String.raw`(?<![\w+])(?:1${SEP}?)?\(?\d{3}\)?${SEP}?\d{3}${SEP}?\d{4}(?![\w])|(?<![\w+])0\d{2,4}[\s-]?\d{3,4}[\s-]?\d{3,4}(?![\w])`,
  'g',
);

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

/** Percent-decodes every well-formed run of escapes (up to 3 layers: double-encoded query strings), leaving the rest. */
function percentDecoded(text: string): string {
  let out = text;
  for (let layer = 0; layer < 3 && /%[0-9A-Fa-f]{2}/.test(out); layer++) {
    out = out.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
  return out;
}

/** What a reader of the text would see: escapes decoded, full-width and other compatibility forms folded. */
function readableForm(text: string): string {
  const decoded = percentDecoded(text);
  return NON_ASCII.test(decoded) ? decoded.normalize('NFKC') : decoded;
}

/** Keeps the first `keepStart` and the last 2 digits of a matched number, masks the digits in between. */
function maskDigits(match: string, keepStart: number): string {
  const totalDigits = match.replace(/\D/g, '').length;
  let seen = 0;
  let out = '';
  for (const ch of match) {
    if (!/\d/.test(ch)) {
      // Separators are dropped so the masked form cannot be re-assembled from its layout.
      continue;
    }
    seen += 1;
    out += seen <= keepStart || seen > totalDigits - 2 ? ch : MASK;
  }
  return out;
}

/** Masks anything that looks like a phone number, keeping the country/area prefix and the last 2 digits. */
export function maskPhoneNumbers(text: string): string {
  // A string without digits cannot hold a number: the common case costs one test.
  if (!/[0-9]/.test(text) && !NON_ASCII.test(text)) return text;
  const readable = readableForm(text);
  const masked = readable
    .replace(INTERNATIONAL, (m) => '+' + maskDigits(m, 4))
    .replace(NATIONAL, (m) => maskDigits(m, 3));
  // Text without a number keeps its original spelling (escapes and all).
  return masked === readable ? text : masked;
}

/** Deep copy of a log payload with every string masked. Errors are serialized first so their text is masked too. */
export function maskDeep(value: unknown, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return maskPhoneNumbers(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (value instanceof Error) return maskError(value, seen);
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, seen));
  if (value instanceof Date) return value.toISOString();
  const out: Record<string, unknown> = {};
  // Keys too: a map keyed by number (`{ '+1305…': n }`) is as personal as a value.
  for (const [key, v] of Object.entries(value)) out[maskPhoneNumbers(key)] = maskDeep(v, seen);
  return out;
}

/** A masked copy that is still an instance of the error's class, so pino's err serializer keeps its type. */
function maskError(error: Error, seen: WeakSet<object>): Error {
  const copy = Object.create(Object.getPrototypeOf(error) as object) as Error & Record<string, unknown>;
  for (const [key, v] of Object.entries(error)) copy[key] = maskDeep(v, seen);
  copy.message = maskPhoneNumbers(error.message);
  if (error.stack) copy.stack = maskPhoneNumbers(error.stack);
  if (error.cause !== undefined) copy.cause = maskDeep(error.cause, seen);
  return copy;
}

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Where lines go; stdout by default. Tests pass a capturing stream. */
  destination?: DestinationStream;
  /** Static fields on every line (service name, portal). */
  base?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: options.base ?? { service: 'autodial' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => maskDeep(bindings) as Record<string, unknown>,
        log: (obj) => maskDeep(obj) as Record<string, unknown>,
      },
      hooks: {
        // The message and printf-style arguments (%s, %j, %o) bypass formatters.log, so they are masked here.
        logMethod(args, method) {
          const masked = args.map((a, i) => (i === 0 && typeof a === 'object' ? a : maskDeep(a)));
          return method.apply(this, masked as Parameters<typeof method>);
        },
      },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
  // pino does not run formatters.bindings for child loggers, so child bindings are masked here; children
  // inherit this method, so grandchildren are covered too.
  const pinoChild = logger.child;
  logger.child = function maskedChild(this: Logger, bindings, childOptions) {
    return pinoChild.call(this, maskDeep(bindings) as typeof bindings, childOptions);
  } as typeof logger.child;
  return logger;
}

/** A logger that writes nothing (tests and tools that do not care about logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
