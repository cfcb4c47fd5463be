/**
 * The production store: Redis (a single node or a cluster), shared by any number of worker processes. A facade
 * over the parts in ./redis (campaigns, leads, claims, attempts, events, wake-ups), which share one connection,
 * the Lua scripts and the key layout. Multi-record changes are Lua scripts that touch only the keys they are
 * given, all under the portal's hash tag (see keys.ts), so they are atomic and Redis Cluster safe. Time is
 * always the caller's `now`.
 */
import { bucketOf } from './codec.js';
import { isCluster as isClusterConnection, serverTime } from './redis/connection.js';
import type { RedisConnection, RedisErrorLog } from './redis/connection.js';
import { RedisContext } from './redis/context.js';
import { RedisCampaigns } from './redis/campaigns.js';
import { RedisLeads } from './redis/leads.js';
import { RedisClaims } from './redis/claims.js';
import { RedisAttempts } from './redis/attempts.js';
import { RedisAgents } from './redis/agents.js';
import { RedisEvents } from './redis/events.js';
import { RedisWakeUps } from './redis/wake-ups.js';
import type { Store } from './store.js';

export interface RedisStoreOptions {
  /**
   * A connected node-redis client or cluster client (`createClient` / `createCluster`, see redis/connection.ts);
   * the store duplicates it for pub/sub and blocking reads.
   */
  redis: RedisConnection;
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
  /** Where the connections the store opens itself (pub/sub, blocking reads) report their errors. */
  onConnectionError?: RedisErrorLog;
}

type Args<K extends keyof Store> = Parameters<Store[K]>;

export class RedisStore implements Store {
  readonly context: RedisContext;
  private readonly campaigns: RedisCampaigns;
  private readonly leads: RedisLeads;
  private readonly claims: RedisClaims;
  private readonly attempts: RedisAttempts;
  private readonly agents: RedisAgents;
  private readonly events: RedisEvents;
  private readonly wakeUps: RedisWakeUps;

  constructor(options: RedisStoreOptions) {
    const trimAbove = options.maxEvents ?? 100_000;
    const hardCap = Math.max(options.hardMaxEvents ?? 10_000_000, trimAbove);
    this.context = new RedisContext(options.redis, options.keyPrefix, hardCap);
    const errorLog: RedisErrorLog =
      options.onConnectionError ?? ((message, error) => console.error(`${message}: ${error.message}`));
    const onEventsLost =
      options.onEventsLost ??
      ((portalId: string, group: string, ids: string[]) =>
        console.error(
          `event stream of portal ${portalId}: ${ids.length} pending entries of ${group} were lost`,
        ));
    this.wakeUps = new RedisWakeUps(this.context, errorLog);
    const wake = (portalId: string) => this.wakeUps.wake(portalId);
    this.events = new RedisEvents(this.context, trimAbove, onEventsLost, errorLog);
    this.campaigns = new RedisCampaigns(this.context);
    this.leads = new RedisLeads(this.context, wake);
    this.claims = new RedisClaims(this.context);
    this.attempts = new RedisAttempts(this.context, wake, (portalId) => this.events.trimEvents(portalId));
    this.agents = new RedisAgents(this.context, wake);
  }

  /** Pending entries found deleted by claimStale since this store was created (see onEventsLost). */
  get lostEvents(): number {
    return this.events.lostEvents;
  }

  // campaigns
  createCampaign(...a: Args<'createCampaign'>) {
    return this.campaigns.createCampaign(...a);
  }
  getCampaign(...a: Args<'getCampaign'>) {
    return this.campaigns.getCampaign(...a);
  }
  listCampaigns(...a: Args<'listCampaigns'>) {
    return this.campaigns.listCampaigns(...a);
  }
  saveCampaign(...a: Args<'saveCampaign'>) {
    return this.campaigns.saveCampaign(...a);
  }

  // leads and the due queue
  enroll(...a: Args<'enroll'>) {
    return this.leads.enroll(...a);
  }
  enrollmentCounts(...a: Args<'enrollmentCounts'>) {
    return this.leads.enrollmentCounts(...a);
  }
  skippedContacts(...a: Args<'skippedContacts'>) {
    return this.leads.skippedContacts(...a);
  }
  getLead(...a: Args<'getLead'>) {
    return this.leads.getLead(...a);
  }
  leadStates(...a: Args<'leadStates'>) {
    return this.leads.leadStates(...a);
  }
  unenroll(...a: Args<'unenroll'>) {
    return this.leads.unenroll(...a);
  }
  addDoNotCall(...a: Args<'addDoNotCall'>) {
    return this.leads.addDoNotCall(...a);
  }
  isDoNotCall(...a: Args<'isDoNotCall'>) {
    return this.leads.isDoNotCall(...a);
  }
  removeContact(...a: Args<'removeContact'>) {
    return this.leads.removeContact(...a);
  }
  setLeadNumber(...a: Args<'setLeadNumber'>) {
    return this.leads.setLeadNumber(...a);
  }
  purgeContact(...a: Args<'purgeContact'>) {
    return this.leads.purgeContact(...a);
  }
  peekDue(...a: Args<'peekDue'>) {
    return this.leads.peekDue(...a);
  }
  nextDueAt(...a: Args<'nextDueAt'>) {
    return this.leads.nextDueAt(...a);
  }
  dueCount(...a: Args<'dueCount'>) {
    return this.leads.dueCount(...a);
  }
  reschedule(...a: Args<'reschedule'>) {
    return this.leads.reschedule(...a);
  }
  updateLead(...a: Args<'updateLead'>) {
    return this.leads.updateLead(...a);
  }

  // claims
  claim(...a: Args<'claim'>) {
    return this.claims.claim(...a);
  }
  claimBatch(...a: Args<'claimBatch'>) {
    return this.claims.claimBatch(...a);
  }
  noteDispatched(...a: Args<'noteDispatched'>) {
    return this.claims.noteDispatched(...a);
  }
  noteDispatchedMany(...a: Args<'noteDispatchedMany'>) {
    return this.claims.noteDispatchedMany(...a);
  }
  markDialRequested(...a: Args<'markDialRequested'>) {
    return this.claims.markDialRequested(...a);
  }
  recentDials(...a: Args<'recentDials'>) {
    return this.claims.recentDials(...a);
  }

  // attempts
  wrapUpAttempt(...a: Args<'wrapUpAttempt'>) {
    return this.attempts.wrapUpAttempt(...a);
  }
  getAttempt(...a: Args<'getAttempt'>) {
    return this.attempts.getAttempt(...a);
  }
  markDialed(...a: Args<'markDialed'>) {
    return this.attempts.markDialed(...a);
  }
  markDialedMany(...a: Args<'markDialedMany'>) {
    return this.attempts.markDialedMany(...a);
  }
  saveProgress(...a: Args<'saveProgress'>) {
    return this.attempts.saveProgress(...a);
  }
  finishAttempt(...a: Args<'finishAttempt'>) {
    return this.attempts.finishAttempt(...a);
  }
  requeueClaimed(...a: Args<'requeueClaimed'>) {
    return this.attempts.requeueClaimed(...a);
  }
  expiredAttempts(...a: Args<'expiredAttempts'>) {
    return this.attempts.expiredAttempts(...a);
  }
  nextLeaseExpiry(...a: Args<'nextLeaseExpiry'>) {
    return this.attempts.nextLeaseExpiry(...a);
  }
  liveCount(...a: Args<'liveCount'>) {
    return this.attempts.liveCount(...a);
  }
  setAgentAvailable(...a: Args<'setAgentAvailable'>) {
    return this.attempts.setAgentAvailable(...a);
  }
  availableAgents(...a: Args<'availableAgents'>) {
    return this.attempts.availableAgents(...a);
  }

  // agents
  setAgentPresence = (...a: Args<'setAgentPresence'>) => this.agents.setAgentPresence(...a);
  getAgent = (...a: Args<'getAgent'>) => this.agents.getAgent(...a);
  listAgents = (...a: Args<'listAgents'>) => this.agents.listAgents(...a);
  agentCounts = (...a: Args<'agentCounts'>) => this.agents.agentCounts(...a);
  answerCall = (...a: Args<'answerCall'>) => this.agents.answerCall(...a);
  endAgentCall = (...a: Args<'endAgentCall'>) => this.agents.endAgentCall(...a);
  finishAgentWrapUp = (...a: Args<'finishAgentWrapUp'>) => this.agents.finishAgentWrapUp(...a);
  abandonmentTally = (...a: Args<'abandonmentTally'>) => this.agents.abandonmentTally(...a);
  abandonedNumbers = (...a: Args<'abandonedNumbers'>) => this.agents.abandonedNumbers(...a);
  getPredictiveState = (...a: Args<'getPredictiveState'>) => this.agents.getPredictiveState(...a);
  savePredictiveState = (...a: Args<'savePredictiveState'>) => this.agents.savePredictiveState(...a);

  // events
  append(...a: Args<'append'>) {
    return this.events.append(...a);
  }
  ensureGroup(...a: Args<'ensureGroup'>) {
    return this.events.ensureGroup(...a);
  }
  readGroup(...a: Args<'readGroup'>) {
    return this.events.readGroup(...a);
  }
  readPending(...a: Args<'readPending'>) {
    return this.events.readPending(...a);
  }
  ack(...a: Args<'ack'>) {
    return this.events.ack(...a);
  }
  claimStale(...a: Args<'claimStale'>) {
    return this.events.claimStale(...a);
  }
  tail(...a: Args<'tail'>) {
    return this.events.tail(...a);
  }
  /** See RedisEvents.trimEvents. */
  trimEvents(portalId: string) {
    return this.events.trimEvents(portalId);
  }

  // wake-ups
  wake(...a: Args<'wake'>) {
    return this.wakeUps.wake(...a);
  }
  onWake(...a: Args<'onWake'>) {
    return this.wakeUps.onWake(...a);
  }

  /** Redis TIME: the one clock every worker process on this store shares. */
  serverTime() {
    return serverTime(this.context.conn);
  }

  /** Closes the connections the store opened (pub/sub, blocking reads); the caller closes its own. */
  async close() {
    this.events.close();
    await this.wakeUps.close();
  }

  /** Deletes every key of this store's prefix for one portal (tests clean up only their own keys). */
  async deletePortal(portalId: string): Promise<void> {
    const pattern = `${this.context.keys(portalId).base.replace(/[{}[\]*?]/g, '\\$&')}:*`;
    await deleteMatching(this.context.conn, pattern);
  }
}

/** SCAN + UNLINK of every key matching `pattern`, on every master of a cluster. */
export async function deleteMatching(conn: RedisConnection, pattern: string): Promise<void> {
  const nodes = isClusterConnection(conn)
    ? await Promise.all(conn.masters.map((m) => conn.nodeClient(m)))
    : [conn];
  for (const node of nodes) {
    for await (const keys of node.scanIterator({ MATCH: pattern, COUNT: 1000 })) {
      // one UNLINK per key: in a cluster a multi-key UNLINK must stay within one slot
      if (keys.length) await Promise.all(keys.map((key) => node.unlink(key)));
    }
  }
}

export { bucketOf };
