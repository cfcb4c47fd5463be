/**
 * The production store: Redis, shared by any number of worker processes. Multi-record changes are Lua scripts
 * (src/engine/store/lua, loaded with defineCommand) that touch only the keys they are given, all under the
 * portal's hash tag (see keys.ts), so they are atomic and Redis Cluster safe. Time is always the caller's `now`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { EngineEvent, LeadState, SkipReason, StoredEvent } from '../events.js';
import { FINAL_LEAD_STATES } from '../events.js';
import { LEAD_BUCKETS, decodeInfo, decodeProgress, encodeInfo, encodeProgress, bucketOf } from './codec.js';
import type { LeadProgress } from './codec.js';
import { PortalKeys } from './keys.js';
import { EMPTY_COUNTS, EMPTY_STATES } from './store.js';
import type {
  AttemptRecord,
  BatchClaimRequest,
  BatchClaimResult,
  WrapUpRequest,
  WrapUpResult,
  AttemptState,
  CampaignRecord,
  ClaimDenial,
  ClaimRequest,
  ClaimResult,
  EnrollResult,
  EnrollRow,
  FinishRequest,
  FinishResult,
  DialRequestDenial,
  LeadView,
  NumberLimits,
  PaceLevel,
  Store,
} from './store.js';

/** The number log's script arguments: cap per 24 h (0: none) and minimum gap. */
const limitArgs = (limits: NumberLimits | undefined): [number, number] => [
  limits?.maxPer24h ?? 0,
  limits?.minGapMs ?? 0,
];
const DAY_MS = 86_400_000;

const SCRIPTS = [
  'claim',
  'claim_batch',
  'wrap_up',
  'dial_requested',
  'save_progress',
  'finish',
  'requeue',
  'set_lead',
  'enroll',
  'save_campaign',
  'mark_dialed',
  'trim_events',
  'set_lead_number',
] as const;
type ScriptName = (typeof SCRIPTS)[number];
/** Scripts that grant pacer slots or append events include the shared library. */
const WITH_LIBRARY = new Set<ScriptName>([
  'claim',
  'claim_batch',
  'wrap_up',
  'dial_requested',
  'save_progress',
  'finish',
  'set_lead',
  'save_campaign',
]);

/** Scripts that check or record dials in the portal's per-number log. */
const WITH_NUMBER_LOG = new Set<ScriptName>(['claim', 'claim_batch', 'dial_requested']);

/** Read next to this module (not the working directory), so tsx, jest and the built dist all find them. */
function loadScript(name: string): string {
  return readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');
}

export interface RedisStoreOptions {
  /** A connected ioredis client (the store duplicates it for pub/sub and blocking reads). */
  redis: Redis;
  keyPrefix: string;
  /**
   * Each portal's event stream is trimmed once it is longer than this, but only of entries every consumer
   * group has acked (a stream with no group keeps its newest maxEvents): a CRM outage never loses a record.
   */
  maxEvents?: number;
  /**
   * Last-resort MAXLEN ~ of a stream (default 10 million): only a consumer group abandoned for a very long time
   * lets a stream reach it. Entries it drops while pending are counted and reported through onEventsLost.
   */
  hardMaxEvents?: number;
  /** Alert hook: pending entries of a group found deleted (trimmed by the hard cap) when reclaimed. */
  onEventsLost?: (portalId: string, group: string, ids: string[]) => void;
}

const ENROLL_CHUNK = 500;

/** Names one store call, so a script re-sent after a lost reply recognizes its own earlier run. */
const requestId = () => randomBytes(9).toString('base64url');

export class RedisStore implements Store {
  private readonly redis: Redis;
  private readonly prefix: string;
  /** The hard cap handed to every XADD (scripts included); trimming proper is trimEvents. */
  private readonly maxEvents: number;
  private readonly trimAbove: number;
  private readonly onEventsLost: (portalId: string, group: string, ids: string[]) => void;
  /** Pending entries found deleted by claimStale since this store was created (see onEventsLost). */
  lostEvents = 0;
  private subscriber: Redis | null = null;
  private readonly wakeListeners = new Map<string, Set<(reason: string) => void>>();
  private readonly blockingPool: Redis[] = [];
  private readonly blockingAll = new Set<Redis>();
  private closed = false;

  constructor(options: RedisStoreOptions) {
    this.redis = options.redis;
    this.prefix = options.keyPrefix;
    this.trimAbove = options.maxEvents ?? 100_000;
    this.maxEvents = Math.max(options.hardMaxEvents ?? 10_000_000, this.trimAbove);
    this.onEventsLost =
      options.onEventsLost ??
      ((portalId, group, ids) =>
        console.error(
          `event stream of portal ${portalId}: ${ids.length} pending entries of ${group} were lost`,
        ));
    const library = loadScript('pacer');
    const numberLog = loadScript('number_log');
    for (const name of SCRIPTS) {
      let body = loadScript(name);
      if (WITH_NUMBER_LOG.has(name)) body = `${numberLog}\n${body}`;
      this.redis.defineCommand(`ad_${name}`, { lua: WITH_LIBRARY.has(name) ? `${library}\n${body}` : body });
    }
  }

  private keys(portalId: string): PortalKeys {
    return new PortalKeys(this.prefix, portalId);
  }

  private run(name: ScriptName, keys: string[], args: (string | number)[]): Promise<unknown> {
    const fn = (this.redis as unknown as Record<string, (...a: (string | number)[]) => Promise<unknown>>)[
      `ad_${name}`
    ]!;
    return fn.call(this.redis, keys.length, ...keys, ...args);
  }

  // ---- campaigns ----

  private campaignArgs(record: CampaignRecord, expect: number, events: EngineEvent[]) {
    const k = this.keys(record.portalId);
    return {
      keys: [k.campaign(record.campaignId), k.campaigns(), k.events()],
      args: [
        expect,
        JSON.stringify(record),
        record.status,
        record.settings.pace.callsPerSecond,
        record.settings.pace.maxConcurrentCalls,
        record.campaignId,
        record.version,
        record.updatedAt,
        this.maxEvents,
        k.wakeChannel(),
        events.length,
        requestId(),
        ...events.map((e) => JSON.stringify(e)),
      ],
    };
  }

  async createCampaign(record: CampaignRecord): Promise<boolean> {
    const { keys, args } = this.campaignArgs({ ...record, version: Math.max(1, record.version) }, 0, []);
    return (await this.run('save_campaign', keys, args)) === 1;
  }

  async getCampaign(portalId: string, campaignId: string): Promise<CampaignRecord | null> {
    const [rec, status, v, upd] = await this.redis.hmget(
      this.keys(portalId).campaign(campaignId),
      'rec',
      'status',
      'v',
      'upd',
    );
    if (!rec) return null;
    return {
      ...(JSON.parse(rec) as CampaignRecord),
      status: status as CampaignRecord['status'],
      version: Number(v),
      updatedAt: Number(upd),
    };
  }

  async listCampaigns(portalId: string): Promise<CampaignRecord[]> {
    const ids = await this.redis.smembers(this.keys(portalId).campaigns());
    const all = await Promise.all(ids.sort().map((id) => this.getCampaign(portalId, id)));
    return all.filter((c): c is CampaignRecord => c !== null);
  }

  async saveCampaign(record: CampaignRecord, events: EngineEvent[] = []): Promise<boolean> {
    if (record.version < 2) return false;
    const { keys, args } = this.campaignArgs(record, record.version - 1, events);
    return (await this.run('save_campaign', keys, args)) === 1;
  }

  // ---- enrollment ----

  async enroll(
    portalId: string,
    campaignId: string,
    rows: EnrollRow[],
    skipped: { contactId: string; reason: SkipReason }[],
    now: number,
  ): Promise<EnrollResult> {
    const k = this.keys(portalId);
    const result: EnrollResult = { enrolled: [], skipped: [] };
    const chunks = Math.max(
      1,
      Math.ceil(rows.length / ENROLL_CHUNK),
      Math.ceil(skipped.length / ENROLL_CHUNK),
    );
    for (let i = 0; i < chunks; i++) {
      const part = rows.slice(i * ENROLL_CHUNK, (i + 1) * ENROLL_CHUNK);
      const skip = skipped.slice(i * ENROLL_CHUNK, (i + 1) * ENROLL_CHUNK);
      const keys = [
        k.due(campaignId),
        k.skipped(campaignId),
        k.counts(campaignId),
        k.dnc(),
        k.removed(),
        k.events(),
        k.request(requestId()),
      ];
      const args: (string | number)[] = [
        part.length,
        skip.length,
        portalId,
        campaignId,
        now,
        this.maxEvents,
        k.wakeChannel(),
      ];
      for (const row of part) {
        keys.push(k.info(campaignId, row.contactId), k.numbers(campaignId, row.e164));
        args.push(row.contactId, row.e164, encodeInfo(row.e164, row.zone), row.dueAt);
      }
      for (const s of skip) {
        keys.push(k.info(campaignId, s.contactId));
        args.push(s.contactId, s.reason);
      }
      const [enrolled, skippedFlat] = (await this.run('enroll', keys, args)) as [string[], string[]];
      result.enrolled.push(...enrolled);
      for (let j = 0; j < skippedFlat.length; j += 2) {
        result.skipped.push({ contactId: skippedFlat[j]!, reason: skippedFlat[j + 1] as SkipReason });
      }
    }
    return result;
  }

  async enrollmentCounts(portalId: string, campaignId: string) {
    const raw = await this.redis.hgetall(this.keys(portalId).counts(campaignId));
    const counts = EMPTY_COUNTS();
    for (const [key, value] of Object.entries(raw))
      if (key in counts) counts[key as keyof typeof counts] = Number(value);
    return counts;
  }

  async skippedContacts(portalId: string, campaignId: string) {
    const raw = await this.redis.hgetall(this.keys(portalId).skipped(campaignId));
    return Object.entries(raw).map(([contactId, reason]) => ({ contactId, reason: reason as SkipReason }));
  }

  async getLead(portalId: string, campaignId: string, contactId: string): Promise<LeadView | null> {
    const k = this.keys(portalId);
    const [[, info], [, rev], [, due]] = (await this.redis
      .pipeline()
      .hget(k.info(campaignId, contactId), contactId)
      .hget(k.state(campaignId, contactId), contactId)
      .zscore(k.due(campaignId), contactId)
      .exec()) as [unknown, string | null][];
    if (!info) return null;
    return {
      contactId,
      ...decodeInfo(info),
      progress: decodeProgress(rev),
      rev: rev ?? '',
      dueAt: due === null ? null : Number(due),
    };
  }

  async leadStates(portalId: string, campaignId: string) {
    const k = this.keys(portalId);
    const states = EMPTY_STATES();
    const pipe = this.redis.pipeline();
    for (let b = 0; b < LEAD_BUCKETS; b++)
      pipe.hkeys(k.infoBucket(campaignId, b)).hgetall(k.stateBucket(campaignId, b));
    const replies = (await pipe.exec()) ?? [];
    for (let b = 0; b < LEAD_BUCKETS; b++) {
      const ids = replies[b * 2]![1] as string[];
      const progress = replies[b * 2 + 1]![1] as Record<string, string>;
      for (const id of ids) states[decodeProgress(progress[id]).state]++;
    }
    return states;
  }

  async unenroll(portalId: string, campaignId: string, contactId: string, now: number) {
    for (;;) {
      const lead = await this.getLead(portalId, campaignId, contactId);
      if (!lead || FINAL_LEAD_STATES.includes(lead.progress.state)) return false;
      const event: EngineEvent = {
        type: 'lead.removed',
        portalId,
        campaignId,
        contactId,
        reason: 'UNENROLLED',
        at: now,
      };
      const ok = await this.setLead(
        portalId,
        campaignId,
        contactId,
        lead.rev,
        encodeProgress({ ...lead.progress, state: 'removed' }),
        null,
        false,
        [event],
      );
      if (ok) return true;
    }
  }

  private async setLead(
    portalId: string,
    campaignId: string,
    contactId: string,
    expectRev: string,
    newRev: string,
    due: number | null,
    requireQueued: boolean,
    events: EngineEvent[],
  ): Promise<boolean> {
    const k = this.keys(portalId);
    const reply = await this.run(
      'set_lead',
      [k.due(campaignId), k.state(campaignId, contactId), k.events()],
      [
        contactId,
        expectRev,
        newRev,
        due ?? '',
        requireQueued ? '1' : '0',
        this.maxEvents,
        events.length,
        ...events.map((e) => JSON.stringify(e)),
      ],
    );
    return reply === 1;
  }

  async addDoNotCall(portalId: string, numbers: string[]) {
    if (numbers.length) await this.redis.sadd(this.keys(portalId).dnc(), ...numbers);
  }

  async isDoNotCall(portalId: string, number: string) {
    return (await this.redis.sismember(this.keys(portalId).dnc(), number)) === 1;
  }

  async removeContact(portalId: string, contactId: string) {
    await this.redis.sadd(this.keys(portalId).removed(), contactId);
  }

  async setLeadNumber(portalId: string, campaignId: string, contactId: string, e164: string, zone?: string) {
    const k = this.keys(portalId);
    for (;;) {
      const info = await this.redis.hget(k.info(campaignId, contactId), contactId);
      if (!info) return 'missing';
      const old = decodeInfo(info).e164;
      const reply = (await this.run(
        'set_lead_number',
        [
          k.info(campaignId, contactId),
          k.state(campaignId, contactId),
          k.numbers(campaignId, e164),
          k.numbers(campaignId, old),
        ],
        [contactId, e164, encodeInfo(e164, zone), old],
      )) as string;
      if (reply !== 'changed') return reply as 'updated' | 'missing' | 'duplicate';
    }
  }

  /** Not one script: the event scan may be long. Each step is idempotent, and the removed mark goes last. */
  async purgeContact(portalId: string, contactId: string, numbers: readonly string[]) {
    const k = this.keys(portalId);
    if (await this.redis.hexists(k.live(), `c:${contactId}`)) return 'live';
    const known = new Set(numbers);
    const attemptIds = new Set<string>();
    const campaignIds = await this.redis.smembers(k.campaigns());
    for (const c of campaignIds) {
      const info = await this.redis.hget(k.info(c, contactId), contactId);
      const progress = await this.redis.hget(k.state(c, contactId), contactId);
      if (info) known.add(decodeInfo(info).e164);
      const last = decodeProgress(progress).attemptId;
      if (last) attemptIds.add(last);
    }
    for (const c of campaignIds) {
      const pipe = this.redis
        .multi()
        .hdel(k.info(c, contactId), contactId)
        .hdel(k.state(c, contactId), contactId)
        .zrem(k.due(c), contactId)
        .hdel(k.skipped(c), contactId);
      for (const n of known) {
        // only this contact's hold on the number: another contact's lead keeps its own
        const holder = await this.redis.hget(k.numbers(c, n), n);
        if (holder === contactId) pipe.hdel(k.numbers(c, n), n);
      }
      await pipe.exec();
    }
    if (known.size) {
      await this.redis
        .multi()
        .hdel(k.numberLog(), ...known)
        .hdel(k.live(), ...[...known].map((n) => `n:${n}`))
        .exec();
    }
    // Every event that names the contact or one of its numbers, and the attempts they mention.
    let start = '-';
    for (;;) {
      const page = await this.redis.xrange(k.events(), start, '+', 'COUNT', 1000);
      if (!page.length) break;
      const doomed: string[] = [];
      for (const entry of parseEntries(page)) {
        const e = entry as StoredEvent & { contactId?: string; to?: string; attemptId?: string };
        if (e.contactId === contactId || (e.to !== undefined && known.has(e.to))) {
          doomed.push(entry.id);
          if (e.attemptId) attemptIds.add(e.attemptId);
        }
      }
      if (doomed.length) await this.redis.xdel(k.events(), ...doomed);
      start = `(${page[page.length - 1]![0]}`;
    }
    if (attemptIds.size) {
      await this.redis.del(...[...attemptIds].map((id) => k.attempt(id)));
      await this.redis.zrem(k.leases(), ...attemptIds);
    }
    await this.redis.srem(k.removed(), contactId);
    return 'purged';
  }

  // ---- due queue ----

  async peekDue(
    portalId: string,
    campaignId: string,
    now: number,
    limit: number,
    offset = 0,
  ): Promise<LeadView[]> {
    const k = this.keys(portalId);
    const flat = await this.redis.zrangebyscore(
      k.due(campaignId),
      '-inf',
      now,
      'WITHSCORES',
      'LIMIT',
      offset,
      limit,
    );
    if (!flat.length) return [];
    const pipe = this.redis.pipeline();
    for (let i = 0; i < flat.length; i += 2) {
      const id = flat[i]!;
      pipe.hget(k.info(campaignId, id), id).hget(k.state(campaignId, id), id);
    }
    const replies = (await pipe.exec()) ?? [];
    const leads: LeadView[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const info = replies[i]![1] as string | null;
      const rev = (replies[i + 1]![1] as string | null) ?? '';
      if (!info) continue;
      leads.push({
        contactId: flat[i]!,
        ...decodeInfo(info),
        progress: decodeProgress(rev),
        rev,
        dueAt: Number(flat[i + 1]),
      });
    }
    return leads;
  }

  async dueCount(portalId: string, campaignId: string) {
    return this.redis.zcard(this.keys(portalId).due(campaignId));
  }

  async nextDueAt(portalId: string, campaignId: string) {
    const first = await this.redis.zrange(this.keys(portalId).due(campaignId), 0, '0', 'WITHSCORES');
    return first.length ? Number(first[1]) : null;
  }

  async reschedule(
    portalId: string,
    campaignId: string,
    contactId: string,
    expectRev: string,
    at: number | null,
    finalState?: LeadState,
    events: EngineEvent[] = [],
  ) {
    if (finalState) {
      const progress = { ...decodeProgress(expectRev), state: finalState };
      return this.setLead(
        portalId,
        campaignId,
        contactId,
        expectRev,
        encodeProgress(progress),
        null,
        true,
        events,
      );
    }
    if (at === null) return false;
    return this.setLead(portalId, campaignId, contactId, expectRev, expectRev, at, true, events);
  }

  async updateLead(
    portalId: string,
    campaignId: string,
    contactId: string,
    expectRev: string,
    progress: LeadProgress,
    dueAt: number | null,
    events: EngineEvent[] = [],
  ) {
    if ((await this.getLead(portalId, campaignId, contactId)) === null) return false;
    const ok = await this.setLead(
      portalId,
      campaignId,
      contactId,
      expectRev,
      encodeProgress(progress),
      dueAt,
      false,
      events,
    );
    if (ok && dueAt !== null) await this.wake(portalId);
    return ok;
  }

  // ---- attempts ----

  private paceKeysAndArgs(k: PortalKeys, campaignId: string, pace: PaceLevel[]) {
    const keys: string[] = [];
    const args: (string | number)[] = [];
    for (const level of pace) {
      const name = level.name === 'campaign' ? `c:${campaignId}` : level.name;
      keys.push(k.paceWindow(name), k.paceLive(name), k.pacePending(name));
      args.push(level.name, level.callsPerSecond, level.maxConcurrent);
    }
    return { keys, args };
  }

  async claim(req: ClaimRequest): Promise<ClaimResult> {
    const k = this.keys(req.portalId);
    const { campaignId, contactId } = req;
    const prior = decodeProgress(req.expectRev);
    const pace = this.paceKeysAndArgs(k, campaignId, req.pace ?? []);
    const keys = [
      k.campaign(campaignId),
      k.due(campaignId),
      k.info(campaignId, contactId),
      k.state(campaignId, contactId),
      k.dnc(),
      k.removed(),
      k.live(),
      k.attempt(req.attemptId),
      k.leases(),
      k.paceTat(),
      k.events(),
      k.paceLive(`c:${campaignId}`),
      ...pace.keys,
      k.numberLog(),
    ];
    const args = [
      req.now,
      contactId,
      req.expectRev,
      encodeProgress({ ...prior, state: 'dialing', attemptId: req.attemptId }),
      encodeProgress({ ...prior, state: 'removed' }),
      encodeProgress({ ...prior, state: 'dnc' }),
      req.attemptId,
      req.from,
      req.leaseUntil,
      req.maxLive ?? '',
      req.busyRetryMs,
      req.amd ? '1' : '0',
      req.agentId ?? '',
      req.localHour ?? '',
      req.portalId,
      this.maxEvents,
      (req.pace ?? []).length,
      ...pace.args,
      ...limitArgs(req.numberLimits),
    ];
    const reply = (await this.run('claim', keys, args)) as string[];
    if (reply[0] !== 'ok') {
      const waitMs = reply[1] !== undefined ? Number(reply[1]) : undefined;
      return { ok: false, reason: reply[0] as ClaimDenial, ...(waitMs !== undefined ? { waitMs } : {}) };
    }
    const [, to, due, ordinal, levels] = reply as [string, string, string, string, string];
    return {
      ok: true,
      attempt: {
        attemptId: req.attemptId,
        portalId: req.portalId,
        campaignId,
        contactId,
        to,
        from: req.from,
        state: 'claimed',
        ordinal: Number(ordinal),
        dueAt: Number(due),
        claimedAt: req.now,
        leaseUntil: req.leaseUntil,
        rev: 0,
        priorLead: req.expectRev,
        levels: levels ? levels.split(',') : [],
        amd: req.amd,
        ...(req.agentId !== undefined ? { agentId: req.agentId } : {}),
        ...(req.localHour !== undefined ? { localHour: req.localHour } : {}),
      },
    };
  }

  async getAttempt(portalId: string, attemptId: string): Promise<AttemptRecord | null> {
    const h = await this.redis.hgetall(this.keys(portalId).attempt(attemptId));
    // 'requeued': the tombstone of an undone claim (kept briefly so a re-sent requeue answers the same)
    if (!h.st || h.st === 'requeued') return null;
    return {
      attemptId,
      portalId,
      campaignId: h.c!,
      contactId: h.k!,
      to: h.to!,
      from: h.from!,
      state: h.st as AttemptState,
      ordinal: Number(h.n),
      dueAt: Number(h.due),
      claimedAt: Number(h.cl),
      ...(h.dr ? { dialRequestedAt: Number(h.dr) } : {}),
      ...(h.pid ? { providerCallId: h.pid } : {}),
      leaseUntil: Number(h.lease),
      rev: Number(h.rev),
      ...(h.prog ? { progress: h.prog } : {}),
      priorLead: h.prior ?? '',
      levels: h.lv ? h.lv.split(',') : [],
      ...(h.ag ? { agentId: h.ag } : {}),
      amd: h.amd === '1',
      ...(h.lh ? { localHour: Number(h.lh) } : {}),
      ...(h.wu ? { wrapUp: h.wu } : {}),
      ...(h.nb && Number(h.nb) > Number(h.cl) ? { notBefore: Number(h.nb) } : {}),
    };
  }

  async markDialRequested(
    portalId: string,
    attemptId: string,
    now: number,
    leaseUntil: number,
    events: EngineEvent[],
    pace?: PaceLevel[],
    numberLimits?: NumberLimits,
  ): Promise<{ ok: true } | { ok: false; reason: DialRequestDenial; waitMs?: number }> {
    const k = this.keys(portalId);
    let levelKeys: string[];
    let levelArgs: (string | number)[];
    let count: number;
    // campaign and contact of an attempt never change: the script's keys can be read before it runs
    const [campaignId, contactId, levels] = await this.redis.hmget(k.attempt(attemptId), 'c', 'k', 'lv');
    if (!campaignId || !contactId) return { ok: false, reason: 'not-claimed' };
    if (pace) {
      const built = this.paceKeysAndArgs(k, campaignId, pace);
      levelKeys = built.keys;
      levelArgs = built.args;
      count = pace.length;
    } else {
      const names = levels ? levels.split(',') : [];
      levelKeys = names.flatMap((n) => [k.paceWindow(n), k.paceLive(n), k.pacePending(n)]);
      levelArgs = names.flatMap((n) => [n, 0, 0]);
      count = names.length;
    }
    const reply = (await this.run(
      'dial_requested',
      [
        k.attempt(attemptId),
        k.leases(),
        k.live(),
        k.events(),
        k.paceTat(),
        k.campaign(campaignId),
        ...levelKeys,
        k.state(campaignId, contactId),
        k.dnc(),
        k.removed(),
        k.numberLog(),
      ],
      [
        now,
        leaseUntil,
        attemptId,
        pace ? '1' : '0',
        this.maxEvents,
        count,
        events.length,
        ...levelArgs,
        ...limitArgs(numberLimits),
        ...events.map((e) => JSON.stringify(e)),
      ],
    )) as string[];
    if (reply[0] === 'ok') return { ok: true };
    const reason = reply[0] as DialRequestDenial;
    return { ok: false, reason, ...(reply[1] !== undefined ? { waitMs: Number(reply[1]) } : {}) };
  }

  async recentDials(portalId: string, numbers: readonly string[], now: number) {
    const out = new Map<string, number[]>();
    if (!numbers.length) return out;
    const raw = await this.redis.hmget(this.keys(portalId).numberLog(), ...numbers);
    numbers.forEach((n, i) => {
      const times = (raw[i] ?? '')
        .split(',')
        .filter(Boolean)
        .map((s) => parseInt(s, 36))
        .filter((t) => t > now - DAY_MS);
      if (times.length) out.set(n, times);
    });
    return out;
  }

  async markDialed(portalId: string, attemptId: string, providerCallId: string) {
    return (await this.run('mark_dialed', [this.keys(portalId).attempt(attemptId)], [providerCallId])) === 1;
  }

  async saveProgress(
    portalId: string,
    attemptId: string,
    expectRev: number,
    progress: string,
    leaseUntil: number,
    events: EngineEvent[],
    knownLevels?: readonly string[],
  ) {
    const k = this.keys(portalId);
    let names: readonly string[];
    if (knownLevels) names = knownLevels;
    else {
      const levels = (await this.redis.hget(k.attempt(attemptId), 'lv')) ?? '';
      names = levels ? levels.split(',') : [];
    }
    const reply = await this.run(
      'save_progress',
      [k.attempt(attemptId), k.leases(), k.live(), k.events(), ...names.map((n) => k.paceLive(n))],
      [
        expectRev,
        progress,
        leaseUntil,
        attemptId,
        this.maxEvents,
        events.length,
        ...events.map((e) => JSON.stringify(e)),
      ],
    );
    return reply === 1;
  }

  async finishAttempt(req: FinishRequest): Promise<FinishResult> {
    const k = this.keys(req.portalId);
    const id = requestId();
    let hint = req.attempt;
    for (;;) {
      const attempt = hint ?? (await this.getAttempt(req.portalId, req.attemptId));
      hint = undefined;
      if (!attempt) return 'missing';
      if (attempt.state === 'finished') return 'already-finished';
      const reply = (await this.run(
        'finish',
        [
          k.attempt(req.attemptId),
          k.campaign(attempt.campaignId),
          k.due(attempt.campaignId),
          k.state(attempt.campaignId, attempt.contactId),
          k.live(),
          k.leases(),
          k.events(),
          k.dnc(),
          ...attempt.levels.map((n) => k.paceLive(n)),
        ],
        [
          req.now,
          encodeProgress(req.lead),
          req.nextAt ?? '',
          req.dncNumber ?? '',
          req.pauseCampaign ? '1' : '0',
          attempt.levels.join(','),
          req.attemptId,
          this.maxEvents,
          k.wakeChannel(),
          req.summary,
          req.events.length,
          req.wrapUp ?? '',
          id,
          req.progress ?? '',
          req.expectRev ?? '',
          ...req.events.map((e) => JSON.stringify(e)),
        ],
      )) as string;
      if (reply !== 'stale-levels') return reply as FinishResult;
    }
  }

  async claimBatch(req: BatchClaimRequest): Promise<BatchClaimResult> {
    const k = this.keys(req.portalId);
    const { campaignId } = req;
    const pace = this.paceKeysAndArgs(k, campaignId, req.pace ?? []);
    const keys = [
      k.campaign(campaignId),
      k.due(campaignId),
      k.dnc(),
      k.removed(),
      k.live(),
      k.leases(),
      k.paceTat(),
      k.events(),
      k.paceLive(`c:${campaignId}`),
      ...pace.keys,
      k.numberLog(),
    ];
    const args: (string | number)[] = [
      req.now,
      req.candidates.length,
      req.claimLeaseUntil,
      req.dialLeaseUntil ?? '',
      req.maxLive ?? '',
      req.busyRetryMs,
      req.amd ? '1' : '0',
      req.portalId,
      this.maxEvents,
      (req.pace ?? []).length,
      req.earlyMs ?? 0,
      ...pace.args,
    ];
    for (const c of req.candidates) {
      const prior = decodeProgress(c.expectRev);
      keys.push(k.info(campaignId, c.contactId), k.state(campaignId, c.contactId), k.attempt(c.attemptId));
      args.push(
        c.contactId,
        c.expectRev,
        encodeProgress({ ...prior, state: 'dialing', attemptId: c.attemptId }),
        encodeProgress({ ...prior, state: 'removed' }),
        encodeProgress({ ...prior, state: 'dnc' }),
        c.attemptId,
        c.from,
        c.localHour ?? '',
        c.started ? JSON.stringify(c.started) : '',
        ...limitArgs(c.numberLimits),
      );
    }
    const [stop, wait, replies] = (await this.run('claim_batch', keys, args)) as [string, string, string[][]];
    const result: BatchClaimResult = { granted: [], denied: [] };
    const dialing = req.dialLeaseUntil !== undefined;
    replies.forEach((reply, i) => {
      const c = req.candidates[i]!;
      if (reply[0] !== 'ok') {
        result.denied.push({ contactId: c.contactId, reason: reply[0] as ClaimDenial });
        return;
      }
      const [, to, due, ordinal, levels, notBefore] = reply as [
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      result.granted.push({
        attemptId: c.attemptId,
        portalId: req.portalId,
        campaignId,
        contactId: c.contactId,
        to,
        from: c.from,
        state: dialing ? 'dial-requested' : 'claimed',
        ordinal: Number(ordinal),
        dueAt: Number(due),
        claimedAt: req.now,
        ...(dialing ? { dialRequestedAt: req.now } : {}),
        leaseUntil: req.dialLeaseUntil ?? req.claimLeaseUntil,
        rev: 0,
        priorLead: c.expectRev,
        levels: levels ? levels.split(',') : [],
        amd: req.amd,
        ...(c.localHour !== undefined ? { localHour: c.localHour } : {}),
        ...(Number(notBefore) > req.now ? { notBefore: Number(notBefore) } : {}),
      });
    });
    if (stop) {
      result.stop = {
        reason: stop as 'inactive' | 'capacity' | 'paced',
        ...(wait !== '' ? { waitMs: Number(wait) } : {}),
      };
    }
    return result;
  }

  async noteDispatched(portalId: string, attemptId: string, levels: readonly string[], at: number) {
    if (!levels.length) return;
    const k = this.keys(portalId);
    // One transaction: a grant never sees the call both sent and still pending. GT: only ever later than the
    // slot; a send so late that its slot already left the window is added back at its send time.
    const multi = this.redis.multi();
    for (const level of levels) {
      multi.zadd(k.paceWindow(level), 'GT', at, attemptId);
      multi.zrem(k.pacePending(level), attemptId);
    }
    await multi.exec();
  }

  async wrapUpAttempt(req: WrapUpRequest): Promise<WrapUpResult> {
    const k = this.keys(req.portalId);
    if (req.mode === 'pending') {
      return (await this.run(
        'wrap_up',
        [k.attempt(req.attemptId), k.attempt(req.attemptId), k.attempt(req.attemptId), k.events(), k.dnc()],
        [req.wrapUp, 'pending', '', '', '', '', '', this.maxEvents, k.wakeChannel(), 0, requestId()],
      )) as WrapUpResult;
    }
    return (await this.run(
      'wrap_up',
      [
        k.attempt(req.attemptId),
        k.state(req.campaignId, req.contactId),
        k.due(req.campaignId),
        k.events(),
        k.dnc(),
      ],
      [
        req.wrapUp,
        'apply',
        req.contactId,
        req.expectRev,
        encodeProgress(req.lead),
        req.dueAt ?? '',
        req.dncNumber ?? '',
        this.maxEvents,
        k.wakeChannel(),
        req.events.length,
        requestId(),
        ...req.events.map((e) => JSON.stringify(e)),
      ],
    )) as WrapUpResult;
  }

  async requeueClaimed(portalId: string, attemptId: string, at: number, _now: number) {
    const k = this.keys(portalId);
    const attempt = await this.getAttempt(portalId, attemptId);
    if (!attempt || attempt.state !== 'claimed') return false;
    const reply = await this.run(
      'requeue',
      [
        k.attempt(attemptId),
        k.due(attempt.campaignId),
        k.state(attempt.campaignId, attempt.contactId),
        k.live(),
        k.leases(),
        ...attempt.levels.map((n) => k.paceLive(n)),
      ],
      [at, attemptId, attempt.levels.join(','), k.wakeChannel(), requestId()],
    );
    return reply === 1;
  }

  async expiredAttempts(portalId: string, now: number, limit: number) {
    // The reaper asks about once a second per portal: the trim's clock for streams nobody acks (no group).
    await this.trimEvents(portalId);
    return this.redis.zrangebyscore(this.keys(portalId).leases(), '-inf', now, 'LIMIT', 0, limit);
  }

  async nextLeaseExpiry(portalId: string) {
    const first = await this.redis.zrange(this.keys(portalId).leases(), 0, '0', 'WITHSCORES');
    return first.length ? Number(first[1]) : null;
  }

  async liveCount(portalId: string, level: string, now: number) {
    return this.redis.zcount(this.keys(portalId).paceLive(level), `(${now}`, '+inf');
  }

  async setAgentAvailable(portalId: string, campaignId: string, agentId: string, available: boolean) {
    const k = this.keys(portalId);
    if (available) {
      await this.redis.sadd(k.agents(campaignId), agentId);
      await this.wake(portalId);
    } else await this.redis.srem(k.agents(campaignId), agentId);
  }

  async availableAgents(portalId: string, campaignId: string) {
    return this.redis.scard(this.keys(portalId).agents(campaignId));
  }

  // ---- wake-ups ----

  async wake(portalId: string) {
    await this.redis.publish(this.keys(portalId).wakeChannel(), 'wake');
  }

  async onWake(portalId: string, listener: (reason: string) => void) {
    const channel = this.keys(portalId).wakeChannel();
    if (!this.subscriber) {
      this.subscriber = this.redis.duplicate();
      this.subscriber.on('message', (ch: string, reason: string) => {
        for (const l of this.wakeListeners.get(ch) ?? []) l(reason);
      });
    }
    let set = this.wakeListeners.get(channel);
    if (!set) {
      set = new Set();
      this.wakeListeners.set(channel, set);
      await this.subscriber.subscribe(channel);
    }
    set.add(listener);
    return async () => {
      set.delete(listener);
      if (!set.size && this.wakeListeners.get(channel) === set) {
        this.wakeListeners.delete(channel);
        if (!this.closed) await this.subscriber?.unsubscribe(channel);
      }
    };
  }

  // ---- events (Redis Streams) ----

  async append(portalId: string, event: EngineEvent): Promise<string> {
    const id = await this.redis.xadd(
      this.keys(portalId).events(),
      'MAXLEN',
      '~',
      this.maxEvents,
      '*',
      'e',
      JSON.stringify(event),
    );
    return id!;
  }

  async ensureGroup(portalId: string, group: string) {
    try {
      await this.redis.xgroup('CREATE', this.keys(portalId).events(), group, '0', 'MKSTREAM');
    } catch (error) {
      if (!String(error).includes('BUSYGROUP')) throw error;
    }
  }

  /** Blocking reads hold a connection: take one from a small pool so they never stall the scripts. */
  private async withBlocking<T>(blockMs: number, fn: (r: Redis) => Promise<T>): Promise<T> {
    if (blockMs <= 0) return fn(this.redis);
    const conn = this.blockingPool.pop() ?? this.redis.duplicate();
    this.blockingAll.add(conn);
    try {
      return await fn(conn);
    } finally {
      if (this.closed) conn.disconnect();
      else this.blockingPool.push(conn);
    }
  }

  async readGroup(
    portalId: string,
    group: string,
    consumer: string,
    opts: { count: number; blockMs: number },
  ): Promise<StoredEvent[]> {
    const key = this.keys(portalId).events();
    const reply = await this.withBlocking(opts.blockMs, (r) =>
      opts.blockMs > 0
        ? r.xreadgroup(
            'GROUP',
            group,
            consumer,
            'COUNT',
            opts.count,
            'BLOCK',
            opts.blockMs,
            'STREAMS',
            key,
            '>',
          )
        : r.xreadgroup('GROUP', group, consumer, 'COUNT', opts.count, 'STREAMS', key, '>'),
    );
    return parseStreams(reply);
  }

  async readPending(
    portalId: string,
    group: string,
    consumer: string,
    opts: { afterId: string; count: number },
  ): Promise<StoredEvent[]> {
    const key = this.keys(portalId).events();
    const reply = await this.redis.xreadgroup(
      'GROUP',
      group,
      consumer,
      'COUNT',
      opts.count,
      'STREAMS',
      key,
      opts.afterId,
    );
    return parseStreams(reply);
  }

  async ack(portalId: string, group: string, ids: readonly string[]) {
    if (!ids.length) return;
    await this.redis.xack(this.keys(portalId).events(), group, ...ids);
    // Acks are what free entries, so they drive the trim (an O(1) XLEN when the stream is short).
    await this.trimEvents(portalId);
  }

  /**
   * Trims the portal's stream past maxEvents, never below any group's oldest pending or never-delivered
   * entry. Returns how many entries were removed. Runs on every ack and every reaper pass.
   */
  async trimEvents(portalId: string): Promise<number> {
    return Number(await this.run('trim_events', [this.keys(portalId).events()], [this.trimAbove]));
  }

  async claimStale(
    portalId: string,
    group: string,
    consumer: string,
    opts: { minIdleMs: number; count: number },
  ): Promise<StoredEvent[]> {
    const reply = (await this.redis.xautoclaim(
      this.keys(portalId).events(),
      group,
      consumer,
      opts.minIdleMs,
      '0-0',
      'COUNT',
      opts.count,
    )) as [string, [string, string[]][] | null, string[]?];
    // Redis 7 names the pending entries it found deleted (trimmed) and drops them from the PEL: never silently.
    const deleted = reply[2] ?? [];
    if (deleted.length) {
      this.lostEvents += deleted.length;
      this.onEventsLost(portalId, group, deleted);
    }
    return parseEntries(reply[1] ?? []);
  }

  async tail(portalId: string, afterId: string, opts: { count: number; blockMs: number }) {
    const key = this.keys(portalId).events();
    const reply = await this.withBlocking(opts.blockMs, (r) =>
      opts.blockMs > 0
        ? r.xread('COUNT', opts.count, 'BLOCK', opts.blockMs, 'STREAMS', key, afterId)
        : r.xread('COUNT', opts.count, 'STREAMS', key, afterId),
    );
    return parseStreams(reply);
  }

  async close() {
    this.closed = true;
    this.subscriber?.disconnect();
    for (const conn of this.blockingAll) conn.disconnect();
  }

  /** Deletes every key of this store's prefix for one portal (tests clean up only their own keys). */
  async deletePortal(portalId: string): Promise<void> {
    const pattern = `${this.keys(portalId).base.replace(/[{}[\]*?]/g, '\\$&')}:*`;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await this.redis.unlink(...keys);
    } while (cursor !== '0');
  }
}

function parseEntries(entries: [string, string[]][]): StoredEvent[] {
  const out: StoredEvent[] = [];
  for (const entry of entries) {
    if (!entry) continue;
    const [id, fields] = entry;
    if (!fields) continue; // deleted by MAXLEN trimming while pending
    const at = fields.indexOf('e');
    if (at < 0) continue;
    out.push({ ...(JSON.parse(fields[at + 1]!) as StoredEvent), id });
  }
  return out;
}

function parseStreams(reply: unknown): StoredEvent[] {
  if (!reply) return [];
  const streams = reply as [string, [string, string[]][]][];
  return streams.flatMap(([, entries]) => parseEntries(entries));
}

export { bucketOf };
