/**
 * Campaign service: create, edit settings only while editable, move through the lifecycle (the domain decides
 * which moves are legal), enroll, unenroll and DNC. Every input passes a zod schema; bad input changes nothing.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { transition, isEditable } from '../domain/lifecycle.js';
import type { CampaignAction } from '../domain/lifecycle.js';
import { resolveDoNotCall, type DncResolution } from '../domain/dnc.js';
import { dedupeByPhone, normalizeContactPhone } from '../domain/phone.js';
import { firstDialTime } from '../domain/policy.js';
import { EMPTY_HISTORY } from '../domain/retry.js';
import {
  AccountSettingsSchema,
  CampaignSettingsSchema,
  IanaZoneSchema,
  describeZodError,
} from '../domain/settings.js';
import type { AccountSettings, CampaignSettings } from '../domain/settings.js';
import type { Clock } from '../shared/clock.js';
import type { EngineEvent, SkipReason } from './events.js';
import { leadContext, locationOf } from './lead-context.js';
import type { CampaignRecord, EnrollRow, Store } from './store/store.js';

export class EngineInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineInputError';
  }
}

/** The campaign changed since the version the editor read: reload before saving again. */
export class VersionConflictError extends EngineInputError {
  constructor(
    readonly campaignId: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(
      `campaign ${campaignId} changed since version ${expected} (now ${actual}): reload it and try again`,
    );
    this.name = 'VersionConflictError';
  }
}

export const EnrollRowSchema = z.object({
  contactId: z.string().trim().min(1, 'contactId is required').max(100),
  phone: z.string().max(100).optional().default(''),
  timeZone: IanaZoneSchema.optional(),
  /** The contact's country from the CRM (ISO code or English name): national-format numbers are read in it. */
  country: z.string().trim().max(60).optional(),
  doNotCall: z.boolean().optional().default(false),
});
export type EnrollRowInput = z.input<typeof EnrollRowSchema>;

export interface ZoneLookup {
  candidateZones(e164: string): Promise<string[]>;
}

export interface CampaignServiceOptions {
  store: Store;
  clock: Clock;
  random?: () => number;
  zones: ZoneLookup;
  account?: (portalId: string) => AccountSettings;
  /** A scheduled start missed by more than this (ms) makes the campaign overdue instead (default 15 min). */
  startGraceMs?: number;
  /**
   * Checked before a campaign starts, resumes or restarts: a sentence saying why it may not dial (e.g. a stale
   * national DNC registry), or null. The move is then refused with that sentence.
   */
  dialGuard?: DialGuard;
}

/** Why a campaign may not dial now (a sentence for the manager), or null when it may. */
export type DialGuard = (record: CampaignRecord, now: number) => Promise<string | null>;

const DIALING_ACTIONS: readonly CampaignAction[] = ['start', 'resume', 'restart'];

export const DEFAULT_START_GRACE_MS = 15 * 60_000;

/** A DNC flag neither the contact's country nor the account's region could read (see resolveDoNotCall). */
export interface UnresolvedDnc {
  input: string;
  kind: 'conservative' | 'unmatchable';
  /** The numbers blocked in its place: every reading of it in any country (none when unmatchable). */
  blocked: string[];
}

export interface EnrollReport {
  enrolled: number;
  skipped: { contactId: string; row: number; reason: SkipReason; detail?: string }[];
  /** DNC flags kept without an exact number: blocked conservatively, for someone to fix in the CRM. */
  dncUnresolved: (UnresolvedDnc & { contactId: string; row: number })[];
}

export interface DoNotCallReport {
  /** E.164 numbers added to the portal's DNC set. */
  added: string[];
  unresolved: UnresolvedDnc[];
}

function unresolvedOf(resolution: DncResolution): UnresolvedDnc | undefined {
  return resolution.kind === 'exact'
    ? undefined
    : { input: resolution.input, kind: resolution.kind, blocked: resolution.numbers };
}

const DEFAULT_ACCOUNT = AccountSettingsSchema.parse({});

export class CampaignService {
  /** The account settings used when none are configured. */
  static defaultAccount(): AccountSettings {
    return DEFAULT_ACCOUNT;
  }

  private readonly store: Store;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly zones: ZoneLookup;
  readonly account: (portalId: string) => AccountSettings;
  private readonly startGraceMs: number;
  private readonly dialGuard: DialGuard | undefined;

  constructor(options: CampaignServiceOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.random = options.random ?? Math.random;
    this.zones = options.zones;
    this.account = options.account ?? (() => DEFAULT_ACCOUNT);
    this.startGraceMs = options.startGraceMs ?? DEFAULT_START_GRACE_MS;
    this.dialGuard = options.dialGuard;
  }

  /** Why this campaign may not dial now (the dial guard's sentence), or null. */
  async dialBlockedReason(record: CampaignRecord): Promise<string | null> {
    return this.dialGuard ? this.dialGuard(record, this.clock.now()) : null;
  }

  async create(portalId: string, input: unknown, campaignId?: string): Promise<CampaignRecord> {
    const parsed = CampaignSettingsSchema.safeParse(input);
    if (!parsed.success)
      throw new EngineInputError(`invalid campaign settings: ${describeZodError(parsed.error)}`);
    const now = this.clock.now();
    const record: CampaignRecord = {
      portalId,
      campaignId: campaignId ?? `c${randomBytes(6).toString('hex')}`,
      settings: parsed.data,
      status: 'draft',
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    if (!(await this.store.createCampaign(record))) {
      throw new EngineInputError(`campaign ${record.campaignId} already exists`);
    }
    return record;
  }

  async get(portalId: string, campaignId: string): Promise<CampaignRecord> {
    const record = await this.store.getCampaign(portalId, campaignId);
    if (!record) throw new EngineInputError(`campaign ${campaignId} not found`);
    return record;
  }

  /**
   * Settings change only while editable; a pace change is the exception: it applies live, within a second.
   * With `expectVersion`, a campaign changed since that version is refused (VersionConflictError), not merged.
   */
  async updateSettings(
    portalId: string,
    campaignId: string,
    input: unknown,
    expectVersion?: number,
  ): Promise<CampaignRecord> {
    const parsed = CampaignSettingsSchema.safeParse(input);
    if (!parsed.success)
      throw new EngineInputError(`invalid campaign settings: ${describeZodError(parsed.error)}`);
    return this.mutate(portalId, campaignId, (record) => {
      if (expectVersion !== undefined && record.version !== expectVersion) {
        throw new VersionConflictError(campaignId, expectVersion, record.version);
      }
      if (!isEditable(record.status)) {
        throw new EngineInputError(`cannot edit a ${record.status} campaign: pause it first`);
      }
      return { record: { ...record, settings: parsed.data }, events: [] };
    });
  }

  async setPace(portalId: string, campaignId: string, input: unknown): Promise<CampaignRecord> {
    const parsed = CampaignSettingsSchema.shape.pace.safeParse(input);
    if (!parsed.success) throw new EngineInputError(`invalid pace: ${describeZodError(parsed.error)}`);
    return this.mutate(portalId, campaignId, (record) => ({
      record: { ...record, settings: { ...record.settings, pace: parsed.data } },
      events: [],
    }));
  }

  async act(
    portalId: string,
    campaignId: string,
    action: CampaignAction,
    why?: string,
  ): Promise<CampaignRecord> {
    // Read once, outside the retry loop: enrollments only ever add contacts, never take the source away.
    const hasContactSource = await this.hasContactSource(portalId, campaignId);
    if (DIALING_ACTIONS.includes(action)) {
      const blocked = await this.dialBlockedReason(await this.get(portalId, campaignId));
      if (blocked) throw new EngineInputError(`cannot ${action} campaign ${campaignId}: ${blocked}`);
    }
    return this.mutate(portalId, campaignId, (record) => {
      const now = this.clock.now();
      const startAt = record.settings.startAt ? Date.parse(record.settings.startAt) : undefined;
      const result = transition(record.status, action, {
        hasContactSource,
        ...(startAt !== undefined ? { startAt } : {}),
        now,
      });
      if (!result.ok) throw new EngineInputError(result.error);
      const event: EngineEvent = {
        type: 'campaign.status',
        portalId,
        campaignId,
        from: record.status,
        to: result.to,
        at: now,
        ...(why ? { why } : {}),
      };
      return { record: { ...record, status: result.to }, events: [event] };
    });
  }

  /** A campaign may start only with contacts to call: at least one enrolled contact. */
  async hasContactSource(portalId: string, campaignId: string): Promise<boolean> {
    return (await this.store.enrollmentCounts(portalId, campaignId)).enrolled > 0;
  }

  /**
   * Scheduled starts: a `scheduled` campaign whose start has come is started; one whose start passed more than
   * the grace period ago (the backend was down then) is marked `overdue` for the manager to start by hand, so a
   * campaign never starts hours late on its own. Safe from any number of workers: each move is one versioned
   * save, and a worker that loses the race finds the move already made. Returns the next planned start.
   */
  async runScheduledStarts(
    portalId: string,
    records?: readonly CampaignRecord[],
  ): Promise<{ started: string[]; overdue: string[]; nextStartAt: number | null }> {
    const now = this.clock.now();
    const result = { started: [] as string[], overdue: [] as string[], nextStartAt: null as number | null };
    for (const record of records ?? (await this.store.listCampaigns(portalId))) {
      if (record.status !== 'scheduled' || !record.settings.startAt) continue;
      const startAt = Date.parse(record.settings.startAt);
      if (startAt > now) {
        result.nextStartAt = Math.min(result.nextStartAt ?? Infinity, startAt);
        continue;
      }
      const late = now - startAt > this.startGraceMs;
      try {
        if (late) {
          await this.act(
            portalId,
            record.campaignId,
            'mark-overdue',
            'the planned start passed while the dialer was not running',
          );
          result.overdue.push(record.campaignId);
        } else {
          await this.act(portalId, record.campaignId, 'start', 'scheduled start');
          result.started.push(record.campaignId);
        }
      } catch (error) {
        // Another worker moved it first, or it has no contacts yet (it turns overdue after the grace period).
        if (!(error instanceof EngineInputError)) throw error;
      }
    }
    return result;
  }

  private async mutate(
    portalId: string,
    campaignId: string,
    change: (r: CampaignRecord) => { record: CampaignRecord; events: EngineEvent[] },
  ): Promise<CampaignRecord> {
    for (;;) {
      const current = await this.get(portalId, campaignId);
      const { record, events } = change(current);
      const next = { ...record, version: current.version + 1, updatedAt: this.clock.now() };
      if (await this.store.saveCampaign(next, events)) return next;
    }
  }

  /**
   * Enrolls contact rows. Idempotent; dedupes by E.164 within the batch and against the campaign; every skipped
   * row is reported (row number, contact, reason) and counted once.
   */
  async enroll(portalId: string, campaignId: string, rows: unknown[]): Promise<EnrollReport> {
    const campaign = await this.get(portalId, campaignId);
    const account = this.account(portalId);
    const now = this.clock.now();
    const report: EnrollReport = { enrolled: 0, skipped: [], dncUnresolved: [] };
    const dncNumbers: string[] = [];
    const valid: { row: number; contactId: string; e164: string; zone?: string; doNotCall: boolean }[] = [];
    rows.forEach((raw, index) => {
      const parsed = EnrollRowSchema.safeParse(raw);
      if (!parsed.success) {
        throw new EngineInputError(`row ${index + 1}: ${describeZodError(parsed.error)}`);
      }
    });
    for (const [index, raw] of rows.entries()) {
      const row = EnrollRowSchema.parse(raw);
      const skip = (reason: SkipReason, detail?: string) =>
        report.skipped.push({
          contactId: row.contactId,
          row: index + 1,
          reason,
          ...(detail ? { detail } : {}),
        });
      if (row.phone.trim() === '') {
        skip('MISSING_NUMBER');
        continue;
      }
      const reading = { country: row.country, defaultRegion: account.defaultRegion };
      const phone = normalizeContactPhone(row.phone, reading);
      if (!phone.ok && row.doNotCall) {
        // A DNC flag is never dropped for a number we cannot read: block every reading of it, and report it.
        const resolution = resolveDoNotCall(row.phone, reading);
        dncNumbers.push(...resolution.numbers);
        report.dncUnresolved.push({ contactId: row.contactId, row: index + 1, ...unresolvedOf(resolution)! });
        skip('DNC', `number not readable in the contact's country or the account's region (${phone.reason})`);
        continue;
      }
      if (!phone.ok) {
        skip('INVALID_NUMBER', phone.reason);
        continue;
      }
      valid.push({
        row: index + 1,
        contactId: row.contactId,
        e164: phone.phone.e164,
        ...(row.timeZone ? { zone: row.timeZone } : {}),
        doNotCall: row.doNotCall,
      });
    }
    const { unique, duplicates } = dedupeByPhone(valid, (v) => v.e164);
    for (const d of duplicates)
      report.skipped.push({ contactId: d.contactId, row: d.row, reason: 'DUPLICATE' });
    // Every flagged row counts, a duplicate too: the flag is on the number, whichever row holds it first.
    for (const v of valid) if (v.doNotCall) dncNumbers.push(v.e164);
    const flagged = new Set(dncNumbers);
    const enrollRows: EnrollRow[] = [];
    for (const v of unique) {
      if (flagged.has(v.e164)) {
        report.skipped.push({ contactId: v.contactId, row: v.row, reason: 'DNC' });
        continue;
      }
      // Always the number's zones too: the legal hours hold wherever the callee may be, even with a CRM zone.
      const candidateZones = await this.zones.candidateZones(v.e164);
      const ctx = leadContext(
        campaign.settings,
        account,
        locationOf(v.e164, v.zone, candidateZones),
        EMPTY_HISTORY,
      );
      const dueAt = firstDialTime(now, ctx, this.random);
      if (dueAt === null) {
        report.skipped.push({ contactId: v.contactId, row: v.row, reason: 'NO_CALLABLE_TIME' });
        continue;
      }
      enrollRows.push({ contactId: v.contactId, e164: v.e164, ...(v.zone ? { zone: v.zone } : {}), dueAt });
    }
    // The CRM's DNC flag protects the number everywhere in the portal, not only in this campaign.
    await this.store.addDoNotCall(portalId, dncNumbers);
    const result = await this.store.enroll(
      portalId,
      campaignId,
      enrollRows,
      report.skipped.map((s) => ({ contactId: s.contactId, reason: s.reason })),
      now,
    );
    report.enrolled = result.enrolled.length;
    const rowOf = new Map(
      enrollRows.map((r) => [r.contactId, valid.find((v) => v.contactId === r.contactId)!.row]),
    );
    for (const s of result.skipped) {
      if (!report.skipped.some((x) => x.contactId === s.contactId)) {
        report.skipped.push({ contactId: s.contactId, row: rowOf.get(s.contactId) ?? 0, reason: s.reason });
      }
    }
    return report;
  }

  counts(portalId: string, campaignId: string) {
    return this.store.enrollmentCounts(portalId, campaignId);
  }

  unenroll(portalId: string, campaignId: string, contactId: string) {
    return this.store.unenroll(portalId, campaignId, contactId, this.clock.now());
  }

  /** The contact was deleted or flagged DNC in the CRM: no campaign dials it again. */
  async removeContact(
    portalId: string,
    contactId: string,
    numbers: string[] = [],
    contact: { country?: string } = {},
  ): Promise<DoNotCallReport> {
    await this.store.removeContact(portalId, contactId);
    return this.addDoNotCall(portalId, numbers, contact);
  }

  /**
   * Puts numbers on the portal's DNC list, in whatever spelling they come: each is read in the contact's country
   * (when given), then the account's region; one neither can read blocks every reading of it and is reported.
   */
  async addDoNotCall(
    portalId: string,
    numbers: string[],
    contact: { country?: string } = {},
  ): Promise<DoNotCallReport> {
    const reading = { country: contact.country, defaultRegion: this.account(portalId).defaultRegion };
    const report: DoNotCallReport = { added: [], unresolved: [] };
    for (const raw of numbers) {
      if (raw.trim() === '') continue;
      const resolution = resolveDoNotCall(raw, reading);
      report.added.push(...resolution.numbers);
      const unresolved = unresolvedOf(resolution);
      if (unresolved) report.unresolved.push(unresolved);
    }
    report.added = [...new Set(report.added)];
    await this.store.addDoNotCall(portalId, report.added);
    return report;
  }
}

export type { CampaignSettings };
