/**
 * Leads in Redis: enrollment, the due queue (a sorted set per campaign), lead progress (bucketed hashes, see
 * codec.ts) and the portal's do-not-call and removed sets. Every read throws on a store error: `null` from
 * getLead means the lead does not exist, never "Redis did not answer".
 */
import type { EngineEvent, LeadState, SkipReason } from '../../events.js';
import { FINAL_LEAD_STATES } from '../../events.js';
import { LEAD_BUCKETS, decodeInfo, decodeProgress, encodeInfo, encodeProgress } from '../codec.js';
import type { LeadProgress } from '../codec.js';
import { EMPTY_COUNTS, EMPTY_STATES } from '../store.js';
import type { EnrollResult, EnrollRow, LeadStore, LeadView } from '../store.js';
import { eventArgs, requestId } from './context.js';
import type { RedisContext } from './context.js';

const ENROLL_CHUNK = 500;

export class RedisLeads implements LeadStore {
  constructor(
    private readonly ctx: RedisContext,
    private readonly wake: (portalId: string) => Promise<void>,
  ) {}

  async enroll(
    portalId: string,
    campaignId: string,
    rows: EnrollRow[],
    skipped: { contactId: string; reason: SkipReason }[],
    now: number,
  ): Promise<EnrollResult> {
    const k = this.ctx.keys(portalId);
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
        this.ctx.maxEvents,
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
      const [enrolled, skippedFlat] = (await this.ctx.run('enroll', keys, args)) as [string[], string[]];
      result.enrolled.push(...enrolled);
      for (let j = 0; j < skippedFlat.length; j += 2) {
        result.skipped.push({ contactId: skippedFlat[j]!, reason: skippedFlat[j + 1] as SkipReason });
      }
    }
    return result;
  }

  async enrollmentCounts(portalId: string, campaignId: string) {
    const raw = await this.ctx.conn.hGetAll(this.ctx.keys(portalId).counts(campaignId));
    const counts = EMPTY_COUNTS();
    for (const [key, value] of Object.entries(raw))
      if (key in counts) counts[key as keyof typeof counts] = Number(value);
    return counts;
  }

  async skippedContacts(portalId: string, campaignId: string) {
    const raw = await this.ctx.conn.hGetAll(this.ctx.keys(portalId).skipped(campaignId));
    return Object.entries(raw).map(([contactId, reason]) => ({ contactId, reason: reason as SkipReason }));
  }

  async getLead(portalId: string, campaignId: string, contactId: string): Promise<LeadView | null> {
    const k = this.ctx.keys(portalId);
    const conn = this.ctx.conn;
    // Sent together (node-redis pipelines commands of one tick); any failure rejects: never a false "missing".
    const [info, rev, due] = await Promise.all([
      conn.hGet(k.info(campaignId, contactId), contactId),
      conn.hGet(k.state(campaignId, contactId), contactId),
      conn.zScore(k.due(campaignId), contactId),
    ]);
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
    const k = this.ctx.keys(portalId);
    const conn = this.ctx.conn;
    const states = EMPTY_STATES();
    const buckets = await Promise.all(
      Array.from({ length: LEAD_BUCKETS }, (_, b) =>
        Promise.all([conn.hKeys(k.infoBucket(campaignId, b)), conn.hGetAll(k.stateBucket(campaignId, b))]),
      ),
    );
    for (const [ids, progress] of buckets) {
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
    const k = this.ctx.keys(portalId);
    const reply = await this.ctx.run(
      'set_lead',
      [k.due(campaignId), k.state(campaignId, contactId), k.events()],
      [
        contactId,
        expectRev,
        newRev,
        due ?? '',
        requireQueued ? '1' : '0',
        this.ctx.maxEvents,
        events.length,
        ...eventArgs(events),
      ],
    );
    return reply === 1;
  }

  async addDoNotCall(portalId: string, numbers: string[]) {
    if (numbers.length) await this.ctx.conn.sAdd(this.ctx.keys(portalId).dnc(), numbers);
  }

  async isDoNotCall(portalId: string, number: string) {
    return Boolean(await this.ctx.conn.sIsMember(this.ctx.keys(portalId).dnc(), number));
  }

  async removeContact(portalId: string, contactId: string) {
    await this.ctx.conn.sAdd(this.ctx.keys(portalId).removed(), contactId);
  }

  async setLeadNumber(portalId: string, campaignId: string, contactId: string, e164: string, zone?: string) {
    const k = this.ctx.keys(portalId);
    for (;;) {
      const info = await this.ctx.conn.hGet(k.info(campaignId, contactId), contactId);
      if (!info) return 'missing' as const;
      const old = decodeInfo(String(info)).e164;
      const reply = String(
        await this.ctx.run(
          'set_lead_number',
          [
            k.info(campaignId, contactId),
            k.state(campaignId, contactId),
            k.numbers(campaignId, e164),
            k.numbers(campaignId, old),
          ],
          [contactId, e164, encodeInfo(e164, zone), old],
        ),
      );
      // 'changed': the number moved between the read and the script; read again
      if (reply !== 'changed') return reply as 'updated' | 'missing' | 'duplicate';
    }
  }

  /** Not one script: the event scan may be long. Each step is idempotent, and the removed mark goes last. */
  async purgeContact(portalId: string, contactId: string, numbers: readonly string[]) {
    const k = this.ctx.keys(portalId);
    const conn = this.ctx.conn;
    if (await conn.hExists(k.live(), `c:${contactId}`)) return 'live' as const;
    const known = new Set(numbers);
    const attemptIds = new Set<string>();
    const campaignIds = (await conn.sMembers(k.campaigns())).map(String);
    for (const c of campaignIds) {
      const info = await conn.hGet(k.info(c, contactId), contactId);
      const progress = await conn.hGet(k.state(c, contactId), contactId);
      if (info) known.add(decodeInfo(String(info)).e164);
      const last = decodeProgress(progress ? String(progress) : null).attemptId;
      if (last) attemptIds.add(last);
    }
    for (const c of campaignIds) {
      await conn.hDel(k.info(c, contactId), contactId);
      await conn.hDel(k.state(c, contactId), contactId);
      await conn.zRem(k.due(c), contactId);
      await conn.hDel(k.skipped(c), contactId);
      for (const n of known) {
        // only this contact's hold on the number: another contact's lead keeps its own
        if ((await conn.hGet(k.numbers(c, n), n)) === contactId) await conn.hDel(k.numbers(c, n), n);
      }
    }
    if (known.size) {
      await conn.hDel(k.numberLog(), [...known]);
      await conn.hDel(
        k.live(),
        [...known].map((n) => `n:${n}`),
      );
    }
    // Every event that names the contact or one of its numbers, and the attempts they mention.
    let start = '-';
    for (;;) {
      const page = await conn.xRange(k.events(), start, '+', { COUNT: 1000 });
      if (!page.length) break;
      const doomed: string[] = [];
      for (const entry of page) {
        const raw = entry.message.e;
        if (raw === undefined) continue;
        const e = JSON.parse(String(raw)) as { contactId?: string; to?: string; attemptId?: string };
        if (e.contactId === contactId || (e.to !== undefined && known.has(e.to))) {
          doomed.push(String(entry.id));
          if (e.attemptId) attemptIds.add(e.attemptId);
        }
      }
      if (doomed.length) await conn.xDel(k.events(), doomed);
      start = `(${String(page[page.length - 1]!.id)}`;
    }
    for (const id of attemptIds) {
      await conn.del(k.attempt(id));
      await conn.zRem(k.leases(), id);
    }
    await conn.sRem(k.removed(), contactId);
    return 'purged' as const;
  }

  // ---- the due queue ----

  async peekDue(
    portalId: string,
    campaignId: string,
    now: number,
    limit: number,
    offset = 0,
  ): Promise<LeadView[]> {
    const k = this.ctx.keys(portalId);
    const conn = this.ctx.conn;
    const due = await conn.zRangeByScoreWithScores(k.due(campaignId), '-inf', now, {
      LIMIT: { offset, count: limit },
    });
    if (!due.length) return [];
    const records = await Promise.all(
      due.map(({ value: id }) =>
        Promise.all([conn.hGet(k.info(campaignId, id), id), conn.hGet(k.state(campaignId, id), id)]),
      ),
    );
    const leads: LeadView[] = [];
    due.forEach(({ value: contactId, score }, i) => {
      const [info, stored] = records[i]!;
      const rev = stored ?? '';
      if (!info) return;
      leads.push({ contactId, ...decodeInfo(info), progress: decodeProgress(rev), rev, dueAt: score });
    });
    return leads;
  }

  async dueCount(portalId: string, campaignId: string) {
    return this.ctx.conn.zCard(this.ctx.keys(portalId).due(campaignId));
  }

  async nextDueAt(portalId: string, campaignId: string) {
    const first = await this.ctx.conn.zRangeWithScores(this.ctx.keys(portalId).due(campaignId), 0, 0);
    return first.length ? first[0]!.score : null;
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
}
