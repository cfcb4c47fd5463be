/**
 * Workflow action "Place a call" against real Redis, the real engine (fake carrier) and the real SDK behind nock:
 * a delivery repeated places one call and completes once; a completion HubSpot answers with 500 and 429 is
 * retried until accepted, also by another process after a crash; a DNC contact completes at once, undialed.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import type { CallEvent } from '../../../../src/domain/call.js';
import { startWorkflowCompletions } from '../../../../src/crm/hubspot/inbound/workflow-completions.js';
import type { WorkflowCompletions } from '../../../../src/crm/hubspot/inbound/workflow-completions.js';
import { v2Headers } from '../../../http/hubspot/signing.js';
import request from 'supertest';
import { BASE, P, SECRET, inboundApp, inboundHarness, sdkClient, signedPost } from './fixtures.js';
import type { InboundHarness } from './fixtures.js';

const PATH = '/hubspot/workflow-actions/place-call';
const settle = (ms = 15) => new Promise((r) => setTimeout(r, ms));

function execution(callbackId: string, contactId: string, inputFields: Record<string, unknown> = {}) {
  return {
    callbackId,
    origin: {
      portalId: Number(P),
      actionDefinitionId: 77,
      actionDefinitionVersion: 1,
      extensionDefinitionId: 77,
      extensionDefinitionVersionId: 1,
    },
    context: { source: 'WORKFLOWS', workflowId: 555 },
    object: { objectId: Number(contactId), objectType: 'CONTACT' },
    inputFields: {
      phoneProperty: 'phone',
      messageText: 'Your appointment is tomorrow at nine. Press 1 to confirm.',
      requireConfirmation: 'true',
      retryPolicy: 'none',
      callerId: '+12125550000',
      ...inputFields,
    },
  };
}

/** The contact's phone, read by the SDK when the execution does not carry it. */
function nockContact(contactId: string, phone: string) {
  return nock('https://api.hubapi.com')
    .get(`/crm/v3/objects/contacts/${contactId}`)
    .query(true)
    .reply(200, {
      id: contactId,
      properties: { phone, hs_timezone: 'america_slash_new_york' },
      createdAt: '2030-01-01T00:00:00Z',
      updatedAt: '2030-01-07T19:00:00Z',
      archived: false,
    });
}

function completions(h: InboundHarness, consumer: string): WorkflowCompletions {
  return startWorkflowCompletions({
    portalId: P,
    eventLog: h.store,
    store: h.store,
    redis: h.redis,
    keyPrefix: h.prefix,
    clients: async () => sdkClient(),
    calls: h.inbound.workflow,
    clock: h.clock,
    logger: h.logger,
    consumer,
    blockMs: 20,
    outboxEveryMs: 3_600_000, // the test sends by hand (sendDue)
  });
}

async function until(check: () => Promise<boolean>, tries = 200) {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await settle(10);
  }
  throw new Error('condition not reached');
}

describe('workflow action "Place a call"', () => {
  let h: InboundHarness;
  let running: WorkflowCompletions[] = [];
  beforeEach(async () => {
    h = await inboundHarness('hsworkflow');
    running = [];
  });
  afterEach(async () => {
    for (const c of running) await c.stop();
    nock.cleanAll();
    await h.close();
  });

  it('a delivery repeated (v2 then v3 signed) places one call and completes the step once', async () => {
    const app = inboundApp(h);
    nockContact('501', '(212) 555-0501');
    const body = JSON.stringify(execution('cb-501', '501'));
    const v2 = await request(app)
      .post(PATH)
      .set(v2Headers({ secret: SECRET, method: 'POST', url: `${BASE}${PATH}`, body }))
      .set('content-type', 'application/json')
      .send(body);
    expect(v2.status).toBe(200);
    expect(v2.body).toEqual({ outputFields: { hs_execution_state: 'BLOCK', hs_expiration_duration: 'P1D' } });
    const again = await signedPost(app, PATH, execution('cb-501', '501'));
    expect(again.status).toBe(200);

    for (let i = 0; i < 5; i++) {
      await h.engine.pass(P);
      await settle();
      h.clock.advance(1000);
    }
    expect(h.telephony.dials.map((d) => d.to)).toEqual(['+12125550501']);
    const [dial] = h.telephony.dials;
    const call = {
      attemptId: dial!.attemptId,
      providerCallId: h.telephony.callIdOf(dial!.attemptId),
      at: h.clock.now(),
    };
    await h.engine.handleCallEvent({
      ...call,
      type: 'status',
      status: 'in-progress',
      sequence: 1,
    } as CallEvent);
    await h.engine.handleCallEvent({ ...call, type: 'amd', answeredBy: 'human' } as CallEvent);
    await h.engine.handleCallEvent({ ...call, type: 'gather', digits: '1' } as CallEvent);
    await h.engine.handleCallEvent({
      ...call,
      type: 'status',
      status: 'completed',
      sequence: 2,
      durationSec: 30,
    } as CallEvent);

    const completed: unknown[] = [];
    nock('https://api.hubapi.com')
      .post('/automation/v4/actions/callbacks/cb-501/complete', (b) => {
        completed.push(b);
        return true;
      })
      .reply(204);
    const c = completions(h, 'w1');
    running.push(c);
    await until(async () => c.stats.queued === 1);
    expect(await c.sendDue()).toBe(1);
    expect(completed).toEqual([
      {
        outputFields: {
          hs_execution_state: 'SUCCESS',
          outcome: 'confirmed',
          confirmed: 'true',
          keyPressed: '1',
          attempts: '1',
        },
      },
    ]);
    // a late third delivery after the completion: still one call, nothing more sent
    expect((await signedPost(app, PATH, execution('cb-501', '501'))).status).toBe(200);
    h.clock.advance(3_600_000);
    await h.engine.pass(P);
    await settle();
    expect(await c.sendDue()).toBe(0);
    expect(h.telephony.dials).toHaveLength(1);
    expect(completed).toHaveLength(1);
  });

  it('a completion answered 500 then 429 is retried until HubSpot accepts it, also after a crash', async () => {
    await h.store.addDoNotCall(P, ['+12125550502']);
    const app = inboundApp(h);
    const res = await signedPost(app, PATH, execution('cb-502', '502', { phoneNumber: '212-555-0502' }));
    expect(res.status).toBe(200);
    const api = nock('https://api.hubapi.com');
    api.post('/automation/v4/actions/callbacks/cb-502/complete').reply(500, { message: 'oops' });
    api
      .post('/automation/v4/actions/callbacks/cb-502/complete')
      .reply(429, { policyName: 'TEN_SECONDLY_ROLLING' }, { 'Retry-After': '2' });
    const accepted = api
      .post(
        '/automation/v4/actions/callbacks/cb-502/complete',
        (b: { outputFields: Record<string, string> }) => {
          expect(b.outputFields).toMatchObject({ outcome: 'do_not_call', confirmed: 'false', attempts: '0' });
          return true;
        },
      )
      .reply(204);

    const first = completions(h, 'w1');
    expect(await first.sendDue()).toBe(1); // 500
    expect(first.stats.retried).toBe(1);
    await first.stop(); // the process dies; the outbox is in Redis

    const second = completions(h, 'w2');
    running.push(second);
    expect(await second.sendDue()).toBe(0); // not due yet: the backoff holds
    h.clock.advance(61_000);
    expect(await second.sendDue()).toBe(1); // 429, Retry-After 2 s
    expect(accepted.isDone()).toBe(false);
    h.clock.advance(2_000);
    expect(await second.sendDue()).toBe(1);
    expect(accepted.isDone()).toBe(true);
    expect(second.stats.completed).toBe(1);
    expect(h.telephony.dials).toHaveLength(0); // a DNC contact is never dialed
  });

  it('a later execution for the same contact calls again; one waiting shares the pending call', async () => {
    const app = inboundApp(h);
    const input = { phoneNumber: '+12125550504' };
    expect((await signedPost(app, PATH, execution('cb-504a', '504', input))).status).toBe(200);
    expect((await signedPost(app, PATH, execution('cb-504b', '504', input))).status).toBe(200);
    await h.engine.pass(P);
    await settle();
    expect(h.telephony.dials).toHaveLength(1);
    const finishCall = async (attemptId: string) => {
      const call = { attemptId, providerCallId: h.telephony.callIdOf(attemptId), at: h.clock.now() };
      await h.engine.handleCallEvent({
        ...call,
        type: 'status',
        status: 'in-progress',
        sequence: 1,
      } as CallEvent);
      await h.engine.handleCallEvent({ ...call, type: 'amd', answeredBy: 'human' } as CallEvent);
      await h.engine.handleCallEvent({ ...call, type: 'gather', digits: '3' } as CallEvent);
      await h.engine.handleCallEvent({
        ...call,
        type: 'status',
        status: 'completed',
        sequence: 2,
        durationSec: 10,
      } as CallEvent);
    };
    await finishCall(h.telephony.dials[0]!.attemptId);
    const sent: string[] = [];
    nock('https://api.hubapi.com')
      .persist()
      .post(
        /\/automation\/v4\/actions\/callbacks\/.+\/complete/,
        (b: { outputFields: { outcome: string } }) => {
          sent.push(b.outputFields.outcome);
          return true;
        },
      )
      .reply(204);
    const c = completions(h, 'w1');
    running.push(c);
    await until(async () => c.stats.queued === 2);
    expect(await c.sendDue()).toBe(2);
    expect(sent).toEqual(['declined', 'declined']);

    // the next day, another execution: the finished lead is queued again and called once more
    h.clock.advance(86_400_000);
    expect((await signedPost(app, PATH, execution('cb-504c', '504', input))).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      await h.engine.pass(P);
      await settle();
    }
    expect(h.telephony.dials).toHaveLength(2);
    await finishCall(h.telephony.dials[1]!.attemptId);
    await until(async () => c.stats.queued === 3);
    expect(await c.sendDue()).toBe(1);
    expect(sent).toEqual(['declined', 'declined', 'declined']);
  });

  it('bad input is a 400 naming the field and records nothing', async () => {
    const app = inboundApp(h);
    const res = await signedPost(
      app,
      PATH,
      execution('cb-503', '503', { messageText: '', retryPolicy: 'sometimes' }),
    );
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.details)).toMatch(/retryPolicy/);
    expect(await h.redis.exists(h.inbound.workflow.keys(P).callback('cb-503'))).toBe(0);
  });
});
