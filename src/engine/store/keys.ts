/**
 * Redis key layout. Every key of a portal carries the hash tag `{p:<portalId>}`, so a portal's campaigns, leads,
 * DNC set, live locks, pacer state and event stream share one Redis Cluster slot and each Lua script is atomic
 * over all of them. Trade-off: one tenant lives on one shard (its throughput is one shard's), while tenants
 * spread over the cluster; a dialer's per-tenant load (tens of calls per second) is far below a shard's limit.
 */
import { bucketOf } from './codec.js';

export class PortalKeys {
  readonly base: string;

  constructor(
    prefix: string,
    readonly portalId: string,
  ) {
    this.base = `${prefix}:{p:${portalId}}`;
  }

  campaigns = () => `${this.base}:campaigns`;
  campaign = (c: string) => `${this.base}:c:${c}`;
  due = (c: string) => `${this.base}:c:${c}:due`;
  info = (c: string, contactId: string) => `${this.base}:c:${c}:li:${bucketOf(contactId)}`;
  infoBucket = (c: string, bucket: number) => `${this.base}:c:${c}:li:${bucket}`;
  state = (c: string, contactId: string) => `${this.base}:c:${c}:ls:${bucketOf(contactId)}`;
  stateBucket = (c: string, bucket: number) => `${this.base}:c:${c}:ls:${bucket}`;
  numbers = (c: string, e164: string) => `${this.base}:c:${c}:n:${bucketOf(e164)}`;
  skipped = (c: string) => `${this.base}:c:${c}:skip`;
  counts = (c: string) => `${this.base}:c:${c}:cnt`;
  agents = (c: string) => `${this.base}:c:${c}:agents`;
  /** Every agent of the portal: agent id -> JSON presence (see redis/lua/agent_*.lua). */
  agentsHash = () => `${this.base}:ag`;
  /** Answered / abandoned counts of one campaign period (see redis/lua/agent_answer.lua). */
  abandonTally = (c: string, periodStart: number) => `${this.base}:c:${c}:ab:${periodStart}`;
  /** Number -> when its last call was abandoned (Ofcom's 72 h quiet time). */
  abandonedNumbers = () => `${this.base}:abn`;
  /** The campaign's predictive estimates (JSON). */
  predictive = (c: string) => `${this.base}:c:${c}:pred`;
  dnc = () => `${this.base}:dnc`;
  removed = () => `${this.base}:removed`;
  live = () => `${this.base}:live`;
  /** Portal-wide recent dial times per number (one hash; see lua/number_log.lua). */
  numberLog = () => `${this.base}:recent`;
  attempt = (id: string) => `${this.base}:a:${id}`;
  leases = () => `${this.base}:leases`;
  paceTat = () => `${this.base}:pt`;
  paceWindow = (level: string) => `${this.base}:pw:${level}`;
  paceLive = (level: string) => `${this.base}:pl:${level}`;
  /** Calls granted for dialing whose send time is not recorded yet (see lua/pacer.lua). */
  pacePending = (level: string) => `${this.base}:pp:${level}`;
  /** What one request did, kept briefly so a re-sent request answers the same (see lua/enroll.lua). */
  request = (id: string) => `${this.base}:rq:${id}`;
  events = () => `${this.base}:events`;
  wakeChannel = () => `${this.base}:wake`;
}
