/**
 * The embedded store: everything in this process's memory (one process only; nothing survives a restart). A
 * facade over the parts in ./memory (campaigns, leads, claims, attempts, events, wake-ups) sharing one state;
 * it passes the same contract suite as the Redis store, and its claim checks run in the Redis script's order.
 */
import type { Clock } from '../../shared/clock.js';
import { realClock } from '../../shared/clock.js';
import type { LeadProgress } from './codec.js';
import { MemoryAgents } from './memory-agents.js';
import { MemoryAttempts } from './memory/attempts.js';
import { MemoryCampaigns } from './memory/campaigns.js';
import { MemoryClaims } from './memory/claims.js';
import { MemoryLeads } from './memory/leads.js';
import { MemoryState } from './memory/state.js';
import { MemoryWakeUps } from './memory/wake-ups.js';
import type { Store } from './store.js';

type Args<K extends keyof Store> = Parameters<Store[K]>;

export class MemoryStore implements Store {
  private readonly state: MemoryState;
  private readonly campaigns: MemoryCampaigns;
  private readonly leads: MemoryLeads;
  private readonly claims: MemoryClaims;
  private readonly attempts: MemoryAttempts;
  private readonly wakeUps: MemoryWakeUps;
  private readonly agents: MemoryAgents;

  constructor(clock: Clock = realClock, options: { maxEvents?: number } = {}) {
    this.state = new MemoryState(clock, options.maxEvents);
    this.campaigns = new MemoryCampaigns(this.state);
    this.leads = new MemoryLeads(this.state);
    this.claims = new MemoryClaims(this.state);
    this.attempts = new MemoryAttempts(this.state);
    this.wakeUps = new MemoryWakeUps(this.state);
    this.agents = new MemoryAgents((portalId) => this.state.wakes.emit(portalId, 'agents'));
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

  // agents (see memory-agents.ts)
  setAgentPresence(...a: Parameters<MemoryAgents['setAgentPresence']>) {
    return this.agents.setAgentPresence(...a);
  }
  getAgent(...a: Parameters<MemoryAgents['getAgent']>) {
    return this.agents.getAgent(...a);
  }
  listAgents(...a: Parameters<MemoryAgents['listAgents']>) {
    return this.agents.listAgents(...a);
  }
  agentCounts(...a: Parameters<MemoryAgents['agentCounts']>) {
    return this.agents.agentCounts(...a);
  }
  answerCall(...a: Parameters<MemoryAgents['answerCall']>) {
    return this.agents.answerCall(...a);
  }
  endAgentCall(...a: Parameters<MemoryAgents['endAgentCall']>) {
    return this.agents.endAgentCall(...a);
  }
  finishAgentWrapUp(...a: Parameters<MemoryAgents['finishAgentWrapUp']>) {
    return this.agents.finishAgentWrapUp(...a);
  }
  abandonmentTally(...a: Parameters<MemoryAgents['abandonmentTally']>) {
    return this.agents.abandonmentTally(...a);
  }
  abandonedNumbers(...a: Parameters<MemoryAgents['abandonedNumbers']>) {
    return this.agents.abandonedNumbers(...a);
  }
  getPredictiveState(...a: Parameters<MemoryAgents['getPredictiveState']>) {
    return this.agents.getPredictiveState(...a);
  }
  savePredictiveState(...a: Parameters<MemoryAgents['savePredictiveState']>) {
    return this.agents.savePredictiveState(...a);
  }

  // events
  append(...a: Args<'append'>) {
    return this.state.events.append(...a);
  }
  ensureGroup(...a: Args<'ensureGroup'>) {
    return this.state.events.ensureGroup(...a);
  }
  readGroup(...a: Args<'readGroup'>) {
    return this.state.events.readGroup(...a);
  }
  readPending(...a: Args<'readPending'>) {
    return this.state.events.readPending(...a);
  }
  ack(...a: Args<'ack'>) {
    return this.state.events.ack(...a);
  }
  claimStale(...a: Args<'claimStale'>) {
    return this.state.events.claimStale(...a);
  }
  tail(...a: Args<'tail'>) {
    return this.state.events.tail(...a);
  }

  // wake-ups
  wake(...a: Args<'wake'>) {
    return this.wakeUps.wake(...a);
  }
  onWake(...a: Args<'onWake'>) {
    return this.wakeUps.onWake(...a);
  }

  /** One process: its own clock is the shared one. */
  async serverTime() {
    return this.state.clock.now();
  }

  async close() {
    this.state.events.close();
    this.state.wakes.removeAllListeners();
  }

  /** Pending entries dropped by the event log's hard cap (see MemoryEventLog.lostEvents). */
  get lostEvents(): number {
    return this.state.events.lostEvents;
  }

  /** Used by the clock-less helpers in tests. */
  get time(): Clock {
    return this.state.clock;
  }
}

export { enrollmentEvent, levelName } from './memory/state.js';
export type { LeadProgress };
