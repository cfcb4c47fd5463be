/** The client factory: requests go through our keep-alive agent (nock sees them) and the SDK never retries. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import { createHubSpotClient, hubspotAgent, sdkGetJson } from '../../../src/crm/hubspot/client.js';
import { HUBSPOT } from './helpers.js';

beforeAll(() => nock.disableNetConnect());
// nock patches Node's shared http module: give the network back to the next test file of this worker.
afterAll(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});
afterEach(() => nock.cleanAll());

describe('createHubSpotClient', () => {
  it('sends SDK requests through the keep-alive agent, where nock intercepts them', async () => {
    expect(hubspotAgent.options.keepAlive).toBe(true);
    const scope = nock(HUBSPOT, { reqheaders: { authorization: 'Bearer tok-123' } })
      .get('/crm/v3/objects/contacts/17')
      .query(true)
      .reply(200, {
        id: '17',
        properties: { firstname: 'Ada' },
        createdAt: '2026-01-01T00:00:00Z',
        updatedAt: '2026-01-01T00:00:00Z',
        archived: false,
      });
    const client = createHubSpotClient({ accessToken: 'tok-123' });
    const contact = await client.crm.contacts.basicApi.getById('17');
    expect(contact.properties.firstname).toBe('Ada');
    expect(scope.isDone()).toBe(true);
  });

  it('does not retry a 429 or a 5xx on its own (our gateway decides)', async () => {
    const scope = nock(HUBSPOT)
      .get('/crm/v3/objects/contacts/18')
      .query(true)
      .reply(429, { status: 'error', policyName: 'TEN_SECONDLY_ROLLING' })
      .get('/crm/v3/objects/contacts/19')
      .query(true)
      .reply(502, { status: 'error' });
    const client = createHubSpotClient({ accessToken: 'tok' });
    await expect(client.crm.contacts.basicApi.getById('18')).rejects.toMatchObject({ code: 429 });
    await expect(client.crm.contacts.basicApi.getById('19')).rejects.toMatchObject({ code: 502 });
    expect(scope.isDone()).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('sends untyped GETs (dispositions) through the SDK HTTP library with the agent', async () => {
    nock(HUBSPOT, { reqheaders: { authorization: 'Bearer tok' } })
      .get('/calling/v1/dispositions')
      .reply(200, [{ id: 'x', label: 'Connected' }]);
    await expect(sdkGetJson('/calling/v1/dispositions', { accessToken: 'tok' })).resolves.toEqual([
      { id: 'x', label: 'Connected' },
    ]);
    nock(HUBSPOT).get('/calling/v1/dispositions').reply(403, { message: 'no scope' });
    await expect(sdkGetJson('/calling/v1/dispositions', { accessToken: 'tok' })).rejects.toMatchObject({
      code: 403,
    });
  });
});
