/**
 * National Do-Not-Call registry import and the freshness rule around it.
 *
 * A registry file (CSV; the number in the first column, or in a column named phone/number; a header row is
 * optional) is read twice as a stream: first every row is checked (bad rows are reported with their line and
 * why, and then nothing changes unless skipBadRows), then the numbers, normalized to E.164, are added to the
 * portal's DNC set (what every claim checks atomically) in chunks, and last the version date is recorded. So a
 * version is recorded only once all its numbers are in. Numbers of an older version stay DNC (conservative).
 *
 * Campaigns with `requiresRegistryScrub` refuse to start/resume while the version is more than 31 days old
 * (`registryDialGuard`, wired into CampaignService), and `startRegistryWatchdog` pauses those still active
 * when the version turns stale, with the reason in the campaign's status event.
 */
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { z } from 'zod';
import type { CampaignService, DialGuard } from '../../../engine/campaigns.js';
import type { Clock } from '../../../shared/clock.js';
import type { Store } from '../../../engine/store/store.js';
import { normalizePhone } from '../../../domain/phone.js';
import { registryScrubVerdict } from '../../../domain/dnc-registry.js';
import type { RegistryVersion } from '../../../domain/dnc-registry.js';
import type { Logger } from '../../../observability/logger.js';
import { InboundKeys } from './ports.js';
import type { RedisConnection } from './ports.js';

export const VersionDateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected the registry version date as YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), 'not a calendar date');

export class RegistryStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly keyPrefix: string,
  ) {}

  async get(portalId: string): Promise<RegistryVersion | null> {
    const raw = await this.redis.hGetAll(new InboundKeys(this.keyPrefix, portalId).registry());
    if (!raw.versionDate) return null;
    return { versionDate: raw.versionDate, importedAt: Number(raw.importedAt), numbers: Number(raw.numbers) };
  }

  async set(portalId: string, version: RegistryVersion): Promise<void> {
    await this.redis.hSet(new InboundKeys(this.keyPrefix, portalId).registry(), {
      versionDate: version.versionDate,
      importedAt: String(version.importedAt),
      numbers: String(version.numbers),
    });
  }
}

export interface RegistryRowError {
  line: number;
  value: string;
  reason: string;
}

export interface RegistryImportOptions {
  store: Store;
  registry: RegistryStore;
  portalId: string;
  file: string;
  versionDate: string;
  defaultRegion: string;
  now: number;
  skipBadRows?: boolean;
  chunkSize?: number;
  onProgress?: (imported: number) => void;
}

export interface RegistryImportReport {
  imported: number;
  badRows: RegistryRowError[];
  /** False when bad rows stopped the import (nothing changed). */
  applied: boolean;
}

const MAX_REPORTED_ERRORS = 1000;

/** Streams the file's numbers: { line, e164 } or { line, error }. */
async function* registryRows(file: string, defaultRegion: string) {
  const parser = createReadStream(file).pipe(
    parse({ relax_column_count: true, skip_empty_lines: true, trim: true, bom: true, info: true }),
  );
  let column = 0;
  let first = true;
  for await (const { record, info } of parser as AsyncIterable<{
    record: string[];
    info: { lines: number };
  }>) {
    const line = info.lines;
    if (first) {
      first = false;
      const header = record.findIndex((c) => /^(phone|number|phone ?number|telephone)$/i.test(c));
      if (header >= 0) {
        column = header;
        continue;
      }
      if (record[0] !== undefined && !/\d/.test(record[0])) continue; // another header
    }
    const value = record[column] ?? '';
    const parsed = normalizePhone(value, defaultRegion);
    if (parsed.ok) yield { line, e164: parsed.phone.e164 };
    else yield { line, value, error: parsed.reason as string };
  }
}

export async function importRegistryFile(o: RegistryImportOptions): Promise<RegistryImportReport> {
  const versionDate = VersionDateSchema.parse(o.versionDate);
  const badRows: RegistryRowError[] = [];
  let badCount = 0;
  for await (const row of registryRows(o.file, o.defaultRegion)) {
    if ('error' in row) {
      badCount++;
      if (badRows.length < MAX_REPORTED_ERRORS)
        badRows.push({ line: row.line, value: row.value ?? '', reason: row.error! });
    }
  }
  if (badCount && !o.skipBadRows) return { imported: 0, badRows, applied: false };
  const chunkSize = o.chunkSize ?? 5000;
  let chunk: string[] = [];
  let imported = 0;
  const flush = async () => {
    if (!chunk.length) return;
    await o.store.addDoNotCall(o.portalId, chunk);
    imported += chunk.length;
    chunk = [];
    o.onProgress?.(imported);
  };
  for await (const row of registryRows(o.file, o.defaultRegion)) {
    if ('e164' in row && row.e164) chunk.push(row.e164);
    if (chunk.length >= chunkSize) await flush();
  }
  await flush();
  await o.registry.set(o.portalId, { versionDate, importedAt: o.now, numbers: imported });
  return { imported, badRows, applied: true };
}

/** The CampaignService guard: a campaign requiring scrubbing may not start/resume with a stale registry. */
export function registryDialGuard(registry: RegistryStore): DialGuard {
  return async (record, now) => {
    if (!record.settings.requiresRegistryScrub) return null;
    const verdict = registryScrubVerdict(now, true, await registry.get(record.portalId));
    return verdict.ok ? null : verdict.message;
  };
}

export interface RegistryWatchdogOptions {
  portalIds: string[];
  store: Store;
  campaigns: CampaignService;
  registry: RegistryStore;
  clock: Clock;
  logger: Logger;
  /** Longest wait between checks (real ms); the next staleness moment is also a check. */
  everyMs?: number;
}

/**
 * Pauses every active campaign that requires scrubbing once the registry is stale (or missing). Resolves with
 * the campaigns it paused; `check` runs one pass (used at start, before the engine dials).
 */
export async function pauseStaleScrubCampaigns(
  o: Pick<RegistryWatchdogOptions, 'store' | 'campaigns' | 'registry' | 'clock'>,
  portalId: string,
): Promise<{ paused: string[]; nextCheckAt: number | null }> {
  const paused: string[] = [];
  const version = await o.registry.get(portalId);
  let nextCheckAt: number | null = null;
  for (const record of await o.store.listCampaigns(portalId)) {
    if (!record.settings.requiresRegistryScrub || record.status !== 'active') continue;
    const verdict = registryScrubVerdict(o.clock.now(), true, version);
    if (verdict.ok) {
      if (verdict.staleAt !== null) nextCheckAt = Math.min(nextCheckAt ?? Infinity, verdict.staleAt);
      continue;
    }
    try {
      await o.campaigns.act(portalId, record.campaignId, 'pause', verdict.message);
      paused.push(record.campaignId);
    } catch {
      // paused or stopped meanwhile by someone else
    }
  }
  return { paused, nextCheckAt };
}

export function startRegistryWatchdog(o: RegistryWatchdogOptions): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const every = o.everyMs ?? 60_000;
  const run = async () => {
    let next = o.clock.now() + every;
    for (const portalId of o.portalIds) {
      try {
        const { paused, nextCheckAt } = await pauseStaleScrubCampaigns(o, portalId);
        if (paused.length) o.logger.warn({ portalId, paused }, 'paused: the DNC registry is too old');
        if (nextCheckAt !== null) next = Math.min(next, nextCheckAt);
      } catch (err) {
        o.logger.error({ err, portalId }, 'registry watchdog check failed');
      }
    }
    if (stopped) return;
    timer = setTimeout(() => void run(), Math.max(0, Math.min(every, next - o.clock.now())));
    timer.unref();
  };
  void run();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
