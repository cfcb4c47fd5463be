/**
 * Structured JSON logs (pino). Phone numbers are personal data: every string that reaches a log line - in the
 * message, in nested fields, in error messages, in child bindings - is masked before it is written, so a
 * careless `log.info({ contact })` cannot leak a number.
 */
import { pino } from 'pino';
import type { DestinationStream, Logger, LevelWithSilent } from 'pino';

export type { Logger };

const MASK = '•';

// E.164, possibly written with spaces/dashes/dots/brackets: "+13055550123", "+44 20 7946 0958".
const INTERNATIONAL = /\+\d(?:[\s().-]?\d){6,14}(?!\d)/g;
// National forms: NANP "(305) 555-0123", "305.555.0123", "1-305-555-0123", "3055550123"; UK "020 7946 0958",
// "07700 900123". Bounded by non-word characters so ids, hashes and epoch timestamps are left alone.
const NATIONAL =
  /(?<![\w+])(?:1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?![\w])|(?<![\w+])0\d{2,4}[\s-]?\d{3,4}[\s-]?\d{3,4}(?![\w])/g;

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
  return text
    .replace(INTERNATIONAL, (m) => '+' + maskDigits(m, 4))
    .replace(NATIONAL, (m) => maskDigits(m, 3));
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
  for (const [key, v] of Object.entries(value)) out[key] = maskDeep(v, seen);
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
        // The message (and printf-style arguments) bypass formatters.log, so they are masked here.
        logMethod(args, method) {
          const masked = args.map((a) => (typeof a === 'string' ? maskPhoneNumbers(a) : a));
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
