/**
 * A fake HubSpot portal behind nock (tests and `npm run bench` only; nock is a dev dependency): it keeps
 * contacts, lists and call engagements in memory and answers the endpoints the adapter uses with HubSpot's
 * shapes, including a unique `autodial_attempt_id` (409 on a duplicate) and injected 429s. Requests go through
 * the real SDK; this replaces only HubSpot's servers.
 */
import nock from 'nock';

export interface FakeCall {
  id: string;
  properties: Record<string, string>;
  contactIds: string[];
}

export interface FakePortalOptions {
  basePath?: string;
  /** The portal enforces unique values of `autodial_attempt_id` on calls (default true). */
  uniqueAttemptId?: boolean;
  /** Called on every request (the bench timestamps them). */
  onRequest?: (method: string, path: string) => void;
}

type Json = Record<string, unknown>;

export class FakeHubSpotPortal {
  readonly contacts = new Map<string, Record<string, string>>();
  readonly lists = new Map<string, string[]>();
  readonly calls = new Map<string, FakeCall>();
  readonly requests: { method: string; path: string; body?: unknown }[] = [];
  readonly dispositions = [
    { id: 'f240bbac-87c9-4f6e-bf70-924b57d47db7', label: 'Connected' },
    { id: '73a0d17f-1163-4015-bdd5-ec830791da20', label: 'No answer' },
    { id: '9d9162e7-6cf3-4944-bf63-4dff82258764', label: 'Busy' },
    { id: 'b2cf5968-551e-4856-9783-52b3da59a7d0', label: 'Left voicemail' },
  ];
  private readonly pending429: { policy: 'TEN_SECONDLY_ROLLING' | 'DAILY'; retryAfterSec?: number }[] = [];
  private nextId = 1000;
  private scope: nock.Scope | null = null;

  constructor(private readonly options: FakePortalOptions = {}) {}

  get basePath(): string {
    return this.options.basePath ?? 'https://api.hubapi.com';
  }

  /** The next `count` requests answer 429 with this policy (Retry-After when given). */
  rateLimitNext(count: number, policy: 'TEN_SECONDLY_ROLLING' | 'DAILY', retryAfterSec?: number): void {
    for (let i = 0; i < count; i++)
      this.pending429.push({ policy, ...(retryAfterSec ? { retryAfterSec } : {}) });
  }

  addList(listId: string, contacts: { id: string; properties: Record<string, string> }[]): void {
    for (const c of contacts) this.contacts.set(c.id, { ...c.properties });
    this.lists.set(
      listId,
      contacts.map((c) => c.id),
    );
  }

  callsOfAttempt(attemptId: string): FakeCall[] {
    return [...this.calls.values()].filter((c) => c.properties.autodial_attempt_id === attemptId);
  }

  count(method: string, pathPrefix: string): number {
    return this.requests.filter((r) => r.method === method && r.path.startsWith(pathPrefix)).length;
  }

  start(): this {
    const record = (method: string, uri: string, body: unknown) => {
      const path = uri.split('?')[0]!;
      this.requests.push({ method, path, body });
      this.options.onRequest?.(method, path);
    };
    const limited = (): [number, Json, Record<string, string>] | null => {
      const next = this.pending429.shift();
      if (!next) return null;
      return [
        429,
        {
          status: 'error',
          message: 'You have reached your limit.',
          errorType: 'RATE_LIMIT',
          policyName: next.policy,
        },
        next.retryAfterSec ? { 'Retry-After': String(next.retryAfterSec) } : {},
      ];
    };
    const handler =
      (method: string, answer: (uri: string, body: Json) => [number, unknown]) =>
      (uri: string, body: nock.Body): [number, nock.Body, Record<string, string>] => {
        const parsed = (typeof body === 'string' && body ? JSON.parse(body) : body) as Json;
        record(method, uri, parsed);
        const limit = limited();
        if (limit) return limit as [number, nock.Body, Record<string, string>];
        const [status, json] = answer(uri, parsed);
        return [status, json as nock.Body, { 'Content-Type': 'application/json' }];
      };

    this.scope = nock(this.basePath)
      .persist()
      .get(/^\/calling\/v1\/dispositions/)
      .reply(handler('GET', () => [200, this.dispositions]))
      .get(/^\/crm\/v3\/lists\/[^/]+\/memberships/)
      .reply(handler('GET', (uri) => this.memberships(uri)))
      .post('/crm/v3/objects/contacts/batch/read')
      .reply(handler('POST', (_u, body) => this.readContacts(body)))
      .post('/crm/v3/objects/contacts/batch/update')
      .reply(handler('POST', (_u, body) => this.updateContacts(body)))
      .post('/crm/v3/objects/contacts/batch/create')
      .reply(handler('POST', (_u, body) => this.createContacts(body)))
      .post('/crm/v3/objects/contacts/search')
      .reply(handler('POST', (_u, body) => this.searchContacts(body)))
      .patch(/^\/crm\/v3\/objects\/contacts\/[^/]+$/)
      .reply(handler('PATCH', (uri, body) => this.patchContact(uri, body)))
      .post('/crm/v3/objects/calls/batch/create')
      .reply(handler('POST', (_u, body) => this.createCalls(body)))
      .post('/crm/v3/objects/calls/batch/read')
      .reply(handler('POST', (_u, body) => this.readCalls(body)))
      .post('/crm/v3/objects/calls/search')
      .reply(handler('POST', (_u, body) => this.searchCalls(body)))
      .patch(/^\/crm\/v3\/objects\/calls\/[^/]+$/)
      .reply(handler('PATCH', (uri, body) => this.patchCall(uri, body)));
    return this;
  }

  stop(): void {
    this.scope?.persist(false);
    nock.cleanAll();
  }

  private object(id: string, properties: Record<string, string>) {
    const at = new Date(0).toISOString();
    return { id, properties, createdAt: at, updatedAt: at, archived: false };
  }

  private batch(results: unknown[]) {
    const at = new Date(0).toISOString();
    return { status: 'COMPLETE', results, startedAt: at, completedAt: at };
  }

  private memberships(uri: string): [number, unknown] {
    const url = new URL(uri, this.basePath);
    const listId = url.pathname.split('/')[4]!;
    const ids = this.lists.get(listId);
    if (!ids) return [404, { status: 'error', message: `list ${listId} not found` }];
    const after = Number(url.searchParams.get('after') ?? '0');
    const limit = Math.min(250, Number(url.searchParams.get('limit') ?? '100'));
    const page = ids.slice(after, after + limit);
    const next = after + page.length < ids.length ? { next: { after: String(after + page.length) } } : {};
    return [
      200,
      {
        results: page.map((id) => ({ recordId: id, membershipTimestamp: new Date(0).toISOString() })),
        total: ids.length,
        paging: next,
      },
    ];
  }

  private readContacts(body: Json): [number, unknown] {
    const inputs = body.inputs as { id: string }[];
    if (inputs.length > 100) return [400, { status: 'error', message: 'at most 100 inputs' }];
    const wanted = body.properties as string[];
    const results = inputs
      .filter((i) => this.contacts.has(i.id))
      .map((i) => {
        const all = this.contacts.get(i.id)!;
        return this.object(i.id, Object.fromEntries(wanted.filter((p) => p in all).map((p) => [p, all[p]!])));
      });
    return [200, this.batch(results)];
  }

  private updateContacts(body: Json): [number, unknown] {
    const inputs = body.inputs as { id: string; properties: Record<string, string> }[];
    if (inputs.length > 100) return [400, { status: 'error', message: 'at most 100 inputs' }];
    for (const i of inputs)
      if (!this.contacts.has(i.id)) return [404, { status: 'error', message: 'not found' }];
    for (const i of inputs) Object.assign(this.contacts.get(i.id)!, i.properties);
    return [200, this.batch(inputs.map((i) => this.object(i.id, this.contacts.get(i.id)!)))];
  }

  private createContacts(body: Json): [number, unknown] {
    const inputs = body.inputs as { properties: Record<string, string> }[];
    if (inputs.length > 100) return [400, { status: 'error', message: 'at most 100 inputs' }];
    const results = inputs.map((i) => {
      const id = String(this.nextId++);
      this.contacts.set(id, { ...i.properties });
      return this.object(id, i.properties);
    });
    return [201, this.batch(results)];
  }

  private searchContacts(body: Json): [number, unknown] {
    const groups = (body.filterGroups ?? []) as {
      filters: { propertyName: string; operator: string; values?: string[]; value?: string }[];
    }[];
    const matches = [...this.contacts.entries()].filter(([, props]) =>
      groups.some((g) =>
        g.filters.every((f) => {
          const values = f.values ?? (f.value !== undefined ? [f.value] : []);
          return values.includes(props[f.propertyName] ?? '\u0000');
        }),
      ),
    );
    const wanted = (body.properties as string[] | undefined) ?? [];
    return [
      200,
      {
        total: matches.length,
        results: matches
          .slice(0, 100)
          .map(([id, all]) =>
            this.object(id, Object.fromEntries(wanted.filter((p) => p in all).map((p) => [p, all[p]!]))),
          ),
      },
    ];
  }

  private patchContact(uri: string, body: Json): [number, unknown] {
    const id = uri.split('?')[0]!.split('/').pop()!;
    const contact = this.contacts.get(id);
    if (!contact) return [404, { status: 'error', message: 'not found' }];
    Object.assign(contact, body.properties as Record<string, string>);
    return [200, this.object(id, contact)];
  }

  private createCalls(body: Json): [number, unknown] {
    const inputs = body.inputs as {
      properties: Record<string, string>;
      associations?: { to: { id: string } }[];
    }[];
    if (inputs.length > 100) return [400, { status: 'error', message: 'at most 100 inputs' }];
    if (this.options.uniqueAttemptId !== false) {
      const dup = inputs.find((i) => this.callsOfAttempt(i.properties.autodial_attempt_id ?? '').length > 0);
      if (dup) {
        return [
          409,
          {
            status: 'error',
            category: 'CONFLICT',
            message: `A call with autodial_attempt_id=${dup.properties.autodial_attempt_id} already exists`,
          },
        ];
      }
    }
    const results = inputs.map((i) => {
      const id = String(this.nextId++);
      this.calls.set(id, {
        id,
        properties: { ...i.properties },
        contactIds: (i.associations ?? []).map((a) => a.to.id),
      });
      return this.object(id, i.properties);
    });
    return [201, this.batch(results)];
  }

  private readCalls(body: Json): [number, unknown] {
    const inputs = body.inputs as { id: string }[];
    const byAttempt = body.idProperty === 'autodial_attempt_id';
    const results = inputs.flatMap((i) =>
      byAttempt ? this.callsOfAttempt(i.id) : this.calls.has(i.id) ? [this.calls.get(i.id)!] : [],
    );
    return [200, this.batch(results.map((c) => this.object(c.id, c.properties)))];
  }

  private searchCalls(body: Json): [number, unknown] {
    const filter = (
      body.filterGroups as { filters: { propertyName: string; values?: string[]; value?: string }[] }[]
    )[0]!.filters[0]!;
    const values = filter.values ?? [filter.value ?? ''];
    const results = [...this.calls.values()].filter((c) =>
      values.includes(c.properties[filter.propertyName] ?? ''),
    );
    return [200, { total: results.length, results: results.map((c) => this.object(c.id, c.properties)) }];
  }

  private patchCall(uri: string, body: Json): [number, unknown] {
    const id = uri.split('?')[0]!.split('/').pop()!;
    const call = this.calls.get(id);
    if (!call) return [404, { status: 'error', message: 'not found' }];
    Object.assign(call.properties, body.properties as Record<string, string>);
    return [200, this.object(id, call.properties)];
  }
}
