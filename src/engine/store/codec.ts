/**
 * Compact encodings of the per-lead records. A campaign can hold hundreds of thousands of leads, so each one is a
 * short delimited string (times in base 36) kept in small bucketed hashes: Redis stores a hash of at most 128
 * fields whose values are at most 64 bytes as a listpack, a few bytes of overhead per field instead of ~100.
 */
import type { LeadState } from '../events.js';

/** Buckets per campaign: 1024 x 128 listpack fields keeps campaigns up to ~130k leads compact. */
export const LEAD_BUCKETS = 1024;

/** FNV-1a 32-bit: stable across processes and languages, good enough to spread contact ids over buckets. */
export function bucketOf(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % LEAD_BUCKETS;
}

const STATE_CODES: Record<LeadState, string> = {
  queued: 'q',
  dialing: 'd',
  retrying: 'r',
  reached: 'R',
  failed: 'f',
  dnc: 'n',
  removed: 'x',
};
const CODE_STATES = Object.fromEntries(Object.entries(STATE_CODES).map(([s, c]) => [c, s])) as Record<
  string,
  LeadState
>;

/** The dynamic part of a lead: what the retry policy and the stop conditions read. */
export interface LeadProgress {
  state: LeadState;
  attempts: number;
  firstAttemptAt: number | null;
  /** Times of the most recent attempts (at most 3 kept: enough for the 24 h caps), oldest first. */
  recentAttemptTimes: number[];
  consecutiveTechnicalErrors: number;
  /** The live attempt while `dialing`, else the last one. */
  attemptId?: string;
  /** Attempts that ended with Twilio 13224 ("likely invalid"): the second one is a permanent failure. */
  likelyInvalid?: number;
}

export const INITIAL_PROGRESS: LeadProgress = {
  state: 'queued',
  attempts: 0,
  firstAttemptAt: null,
  recentAttemptTimes: [],
  consecutiveTechnicalErrors: 0,
};

const t36 = (ms: number | null) => (ms === null ? '' : ms.toString(36));
const f36 = (s: string) => (s === '' ? null : parseInt(s, 36));

export const MAX_RECENT_ATTEMPTS = 3;

/**
 * `state|attempts|first|consecutiveTechErrors|recent,recent|attemptId[|likelyInvalid]`; '' means a fresh queued
 * lead. The last field is written only when non-zero, so most records keep their size.
 */
export function encodeProgress(p: LeadProgress): string {
  const recent = p.recentAttemptTimes.slice(-MAX_RECENT_ATTEMPTS).map(t36).join(',');
  const fields = [
    STATE_CODES[p.state],
    p.attempts.toString(36),
    t36(p.firstAttemptAt),
    p.consecutiveTechnicalErrors.toString(36),
    recent,
    p.attemptId ?? '',
  ];
  if (p.likelyInvalid) fields.push(p.likelyInvalid.toString(36));
  return fields.join('|');
}

export function decodeProgress(raw: string | null | undefined): LeadProgress {
  if (!raw) return { ...INITIAL_PROGRESS, recentAttemptTimes: [] };
  const [code, attempts, first, cte, recent, attemptId, likelyInvalid] = raw.split('|') as [
    string,
    string,
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  const state = CODE_STATES[code];
  if (!state) throw new Error(`corrupt lead record: unknown state code ${JSON.stringify(code)}`);
  return {
    state,
    attempts: parseInt(attempts, 36),
    firstAttemptAt: f36(first),
    consecutiveTechnicalErrors: parseInt(cte, 36),
    recentAttemptTimes: recent ? recent.split(',').map((s) => parseInt(s, 36)) : [],
    ...(attemptId ? { attemptId } : {}),
    ...(likelyInvalid ? { likelyInvalid: parseInt(likelyInvalid, 36) } : {}),
  };
}

export const stateCode = (s: LeadState): string => STATE_CODES[s];

/** Static part of a lead, written once at enrollment: `e164|zone`. */
export function encodeInfo(e164: string, zone?: string): string {
  return zone ? `${e164}|${zone}` : e164;
}

export function decodeInfo(raw: string): { e164: string; zone?: string } {
  const bar = raw.indexOf('|');
  return bar < 0 ? { e164: raw } : { e164: raw.slice(0, bar), zone: raw.slice(bar + 1) };
}
