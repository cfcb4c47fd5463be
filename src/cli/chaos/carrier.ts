/**
 * The chaos run's carrier: one HTTP service every worker dials through, so its log is the ground truth of what
 * reached the phone network whichever worker died. It places calls on the shared true clock, keeps each call's
 * live interval, answers status queries, and delivers status callbacks to a random live worker with delays,
 * drops and duplicates; a callback a worker refuses (5xx, connection refused) is retried as Twilio retries.
 * It also plays the CRM: call records written by the workers' writebacks are kept raw, duplicates and all.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CallEvent, CallStatus } from '../../domain/call.js';
import { seededRandom } from '../../domain/random.js';
import type { CallRecord } from '../../crm/crm.js';
import type { CallStatusSnapshot, DialRequest } from '../../telephony/telephony.js';

export interface CarrierCall {
  providerCallId: string;
  attemptId: string;
  campaignId: string;
  contactId: string;
  to: string;
  worker: string;
  /** True time the carrier received the request. */
  receivedAt: number;
  /** True time the call ended (hung up, or its final status); undefined while live. */
  endedAt?: number;
  answered: boolean;
  finalStatus?: CallStatus;
  /** True time a worker acknowledged (2xx) the final status; undefined if never. */
  finalAckedAt?: number;
}

export interface CallbackFaults {
  dropRate: number;
  duplicateRate: number;
  /** Most callbacks arrive within a second; this share is held back for up to `longDelayMs`. */
  longDelayRate: number;
  longDelayMs: number;
}

interface Plan {
  steps: { afterMs: number; status: CallStatus }[];
}

export class ChaosCarrier {
  readonly calls = new Map<string, CarrierCall>();
  readonly crmRecords: CallRecord[] = [];
  readonly stats = { dials: 0, refusedLate: 0, callbacks: 0, dropped: 0, duplicated: 0, retried: 0 };
  private readonly workers = new Map<string, string>();
  private readonly byAttempt = new Map<string, string>();
  private readonly random: () => number;
  private readonly pending = new Set<Promise<void>>();
  private server: Server | undefined;
  private counter = 0;
  private closing = false;

  constructor(
    private readonly now: () => number,
    seed: number,
    private readonly faults: CallbackFaults,
  ) {
    this.random = seededRandom(seed);
  }

  async listen(): Promise<string> {
    this.server = createServer((req, res) => void this.route(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  setWorker(id: string, url: string | undefined): void {
    if (url) this.workers.set(id, url);
    else this.workers.delete(id);
  }

  liveCalls(): CarrierCall[] {
    return [...this.calls.values()].filter((c) => c.endedAt === undefined);
  }

  /** Waits for every call to end and every callback to be delivered or given up (bounded). */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.pending.size > 0 || this.liveCalls().length > 0) && Date.now() < deadline) await sleep(200);
  }

  async close(): Promise<void> {
    this.closing = true;
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJson(req);
    const reply = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    if (req.method === 'POST' && req.url === '/dial') {
      const { request, worker } = body as { request: DialRequest; worker: string };
      return reply(200, this.dial(request, worker));
    }
    if (req.method === 'POST' && req.url === '/hangup') {
      this.hangup((body as { providerCallId: string }).providerCallId);
      return reply(200, {});
    }
    if (req.method === 'POST' && req.url === '/status') {
      return reply(200, this.status((body as { providerCallId: string }).providerCallId));
    }
    if (req.method === 'POST' && req.url === '/crm/record') {
      const record = body as CallRecord;
      this.crmRecords.push(record);
      return reply(200, { id: `crm-${this.crmRecords.length}` });
    }
    reply(404, { error: 'no such route' });
  }

  private dial(request: DialRequest, worker: string): { providerCallId?: string; refused?: string } {
    const now = this.now();
    const existing = this.byAttempt.get(request.attemptId);
    if (existing) return { providerCallId: existing }; // the attempt id is the idempotency key
    if (request.notAfter !== undefined && now > request.notAfter) {
      this.stats.refusedLate++;
      return { refused: 'deadline passed' };
    }
    this.stats.dials++;
    const providerCallId = `CH${(++this.counter).toString(16).padStart(30, '0')}`;
    const call: CarrierCall = {
      providerCallId,
      attemptId: request.attemptId,
      campaignId: request.campaignId,
      contactId: request.contactId,
      to: request.to,
      worker,
      receivedAt: now,
      answered: false,
    };
    this.calls.set(providerCallId, call);
    this.byAttempt.set(request.attemptId, providerCallId);
    this.track(this.run(call, this.plan()));
    return { providerCallId };
  }

  /** A call's fate: a third answered (talk 2-20 s), the rest busy, unanswered or failed. */
  private plan(): Plan {
    const r = this.random();
    const ring = 500 + this.random() * 4_000;
    if (r < 0.35) {
      return {
        steps: [
          { afterMs: 200, status: 'ringing' },
          { afterMs: ring, status: 'in-progress' },
          { afterMs: 2_000 + this.random() * 18_000, status: 'completed' },
        ],
      };
    }
    if (r < 0.5) return { steps: [{ afterMs: 800, status: 'busy' }] };
    if (r < 0.95)
      return {
        steps: [
          { afterMs: 200, status: 'ringing' },
          { afterMs: 6_000, status: 'no-answer' },
        ],
      };
    return { steps: [{ afterMs: 300, status: 'failed' }] };
  }

  private async run(call: CarrierCall, plan: Plan): Promise<void> {
    let sequence = 0;
    for (const step of plan.steps) {
      await sleep(step.afterMs);
      if (call.endedAt !== undefined) return; // hung up meanwhile
      const final = isFinal(step.status);
      if (step.status === 'in-progress') call.answered = true;
      if (final) {
        call.endedAt = this.now();
        call.finalStatus = step.status;
      }
      this.sendCallback(call, step.status, sequence++, final);
    }
  }

  private hangup(providerCallId: string): void {
    const call = this.calls.get(providerCallId);
    if (!call || call.endedAt !== undefined) return;
    call.endedAt = this.now();
    call.finalStatus = call.answered ? 'completed' : 'canceled';
    this.sendCallback(call, call.finalStatus, 99, true);
  }

  private status(providerCallId: string): CallStatusSnapshot | null {
    const call = this.calls.get(providerCallId);
    if (!call) return null;
    if (call.finalStatus) {
      return {
        status: call.finalStatus,
        durationSec: call.answered ? Math.round(((call.endedAt ?? 0) - call.receivedAt) / 1000) : 0,
      };
    }
    return { status: call.answered ? 'in-progress' : 'ringing' };
  }

  private sendCallback(call: CarrierCall, status: CallStatus, sequence: number, final: boolean): void {
    const event: CallEvent = {
      type: 'status',
      attemptId: call.attemptId,
      providerCallId: call.providerCallId,
      status,
      sequence,
      ...(final
        ? { durationSec: call.answered ? Math.round((call.endedAt! - call.receivedAt) / 1000) : 0 }
        : {}),
      at: this.now(),
    };
    if (this.random() < this.faults.dropRate) {
      this.stats.dropped++;
      return;
    }
    const copies = this.random() < this.faults.duplicateRate ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      const delay =
        this.random() < this.faults.longDelayRate
          ? this.random() * this.faults.longDelayMs
          : this.random() * 1_000;
      this.track(this.deliver(call, event, delay, final));
    }
  }

  /** Delivers to a random live worker; a refusal is retried (1 s apart, for up to a minute). */
  private async deliver(call: CarrierCall, event: CallEvent, delayMs: number, final: boolean): Promise<void> {
    await sleep(delayMs);
    for (let tries = 0; tries < 60 && !this.closing; tries++) {
      const urls = [...this.workers.values()];
      const url = urls[Math.floor(this.random() * urls.length)];
      if (url) {
        try {
          const res = await fetch(`${url}/event`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(event),
            signal: AbortSignal.timeout(5_000),
          });
          this.stats.callbacks++;
          if (res.ok) {
            if (final) call.finalAckedAt ??= this.now();
            return;
          }
        } catch {
          // the worker died or is stuck: try another one
        }
      }
      this.stats.retried++;
      await sleep(1_000);
    }
  }

  private track(work: Promise<void>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }
}

function isFinal(status: CallStatus): boolean {
  return ['completed', 'busy', 'no-answer', 'failed', 'canceled'].includes(status);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as unknown) : {};
}
