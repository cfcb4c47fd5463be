/**
 * An in-memory CRM for the demo, the tests and local development: paged lists, idempotent call records,
 * DNC and wrong-number flags, optional JSON persistence, and simulated 429 rate limits so the writeback's
 * retry path runs without HubSpot.
 */
import { readFileSync, writeFileSync, existsSync, renameSync } from 'node:fs';
import type { CallRecord, CallRecordPatch, ContactPage, Crm, CrmContact } from './crm.js';
import { CallRecordNotFoundError, CrmRateLimitError } from './crm.js';

export interface LocalSampleCrmOptions {
  /** Contacts per page of listContacts. */
  pageSize?: number;
  /** When set, state is loaded from and saved to this JSON file. */
  filePath?: string;
  /** Answer this share (0..1) of write calls with a simulated 429. */
  rateLimit?: { rate: number; retryAfterMs: number; random: () => number };
}

interface StoredState {
  contacts: Record<string, CrmContact>;
  lists: Record<string, string[]>;
  calls: (CallRecord & { id: string })[];
  wrongNumbers: Record<string, string[]>;
  dncReasons: Record<string, string | undefined>;
}

export class LocalSampleCrm implements Crm {
  private state: StoredState = { contacts: {}, lists: {}, calls: [], wrongNumbers: {}, dncReasons: {} };
  private readonly byAttempt = new Map<string, string>();
  /** Writes of an attemptId already recorded (redelivery), for the demo's exactly-once report. */
  duplicateWritesIgnored = 0;
  rateLimitedAnswers = 0;
  private readonly pageSize: number;

  constructor(private readonly options: LocalSampleCrmOptions = {}) {
    this.pageSize = options.pageSize ?? 100;
    if (options.filePath && existsSync(options.filePath)) {
      this.state = JSON.parse(readFileSync(options.filePath, 'utf8')) as StoredState;
      for (const call of this.state.calls) this.byAttempt.set(call.attemptId, call.id);
    }
  }

  /** Adds contacts (replacing same ids) and appends them to a list. */
  addContacts(listId: string, contacts: readonly CrmContact[]): void {
    const list = this.state.lists[listId] ?? [];
    for (const contact of contacts) {
      if (!this.state.contacts[contact.id]) list.push(contact.id);
      else if (!list.includes(contact.id)) list.push(contact.id);
      this.state.contacts[contact.id] = { ...contact };
    }
    this.state.lists[listId] = list;
    this.persist();
  }

  setRateLimit(rateLimit: LocalSampleCrmOptions['rateLimit']): void {
    this.options.rateLimit = rateLimit;
  }

  /** One contact by id (the dialer card's view), or null. */
  async getContact(contactId: string): Promise<CrmContact | null> {
    const contact = this.state.contacts[contactId];
    return contact ? { ...contact } : null;
  }

  async listContacts(listId: string, cursor?: string): Promise<ContactPage> {
    const ids = this.state.lists[listId];
    if (!ids) throw new Error(`list ${listId} does not exist`);
    const start = cursor ? Number(cursor) : 0;
    if (!Number.isInteger(start) || start < 0) throw new Error(`bad cursor ${cursor}`);
    const contacts = ids.slice(start, start + this.pageSize).map((id) => ({ ...this.state.contacts[id]! }));
    const next = start + this.pageSize < ids.length ? String(start + this.pageSize) : undefined;
    return next ? { contacts, next } : { contacts };
  }

  async recordCall(record: CallRecord): Promise<{ id: string }> {
    this.maybeRateLimit('recordCall');
    const existing = this.byAttempt.get(record.attemptId);
    if (existing) {
      this.duplicateWritesIgnored += 1;
      return { id: existing };
    }
    const id = `call-${this.state.calls.length + 1}`;
    this.state.calls.push({ ...record, id });
    this.byAttempt.set(record.attemptId, id);
    this.persist();
    return { id };
  }

  async updateCall(attemptId: string, patch: CallRecordPatch): Promise<void> {
    this.maybeRateLimit('updateCall');
    const id = this.byAttempt.get(attemptId);
    const record = id === undefined ? undefined : this.state.calls.find((c) => c.id === id);
    if (!record) throw new CallRecordNotFoundError(attemptId);
    // Setting the same fields again is a no-op, so a redelivered wrap-up changes nothing more.
    record.disposition = patch.disposition;
    record.outcomeLabel = patch.outcomeLabel;
    if (patch.notes !== undefined) record.notes = patch.notes;
    this.persist();
  }

  async setDoNotCall(contactId: string, doNotCall: boolean, reason?: string): Promise<void> {
    this.maybeRateLimit('setDoNotCall');
    const contact = this.requireContact(contactId);
    contact.doNotCall = doNotCall;
    this.state.dncReasons[contactId] = doNotCall ? reason : undefined;
    this.persist();
  }

  async markWrongNumber(contactId: string, phone: string): Promise<void> {
    this.maybeRateLimit('markWrongNumber');
    this.requireContact(contactId);
    const marked = this.state.wrongNumbers[contactId] ?? [];
    if (!marked.includes(phone)) marked.push(phone);
    this.state.wrongNumbers[contactId] = marked;
    this.persist();
  }

  // Inspection helpers for tests and the demo report.

  contact(contactId: string): CrmContact | undefined {
    const c = this.state.contacts[contactId];
    return c ? { ...c } : undefined;
  }
  callByAttempt(attemptId: string): (CallRecord & { id: string }) | undefined {
    const id = this.byAttempt.get(attemptId);
    const record = id === undefined ? undefined : this.state.calls.find((c) => c.id === id);
    return record ? { ...record } : undefined;
  }
  callsFor(contactId: string): (CallRecord & { id: string })[] {
    return this.state.calls.filter((c) => c.contactId === contactId);
  }
  allCalls(): readonly (CallRecord & { id: string })[] {
    return this.state.calls;
  }
  wrongNumbersOf(contactId: string): string[] {
    return [...(this.state.wrongNumbers[contactId] ?? [])];
  }
  counts(): {
    contacts: number;
    calls: number;
    doNotCall: number;
    duplicateWritesIgnored: number;
    rateLimited: number;
  } {
    return {
      contacts: Object.keys(this.state.contacts).length,
      calls: this.state.calls.length,
      doNotCall: Object.values(this.state.contacts).filter((c) => c.doNotCall).length,
      duplicateWritesIgnored: this.duplicateWritesIgnored,
      rateLimited: this.rateLimitedAnswers,
    };
  }

  private requireContact(contactId: string): CrmContact {
    const contact = this.state.contacts[contactId];
    if (!contact) throw new Error(`contact ${contactId} does not exist`);
    return contact;
  }

  private maybeRateLimit(operation: string): void {
    const limit = this.options.rateLimit;
    if (limit && limit.random() < limit.rate) {
      this.rateLimitedAnswers += 1;
      throw new CrmRateLimitError(`simulated 429 on ${operation}`, limit.retryAfterMs);
    }
  }

  private persist(): void {
    if (!this.options.filePath) return;
    // Write then rename, so a crash mid-write never leaves a truncated file.
    const tmp = `${this.options.filePath}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.state));
    renameSync(tmp, this.options.filePath);
  }
}
