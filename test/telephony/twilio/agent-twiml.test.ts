/** TwiML of agents' campaigns: the lead's hold, the lead joining the agent's pinned conference, the agent's leg. */
import { describe, expect, it } from '@jest/globals';
import { agentHoldTwiml, agentJoinTwiml, leadToAgentTwiml } from '../../../src/telephony/twilio/twiml.js';
import { agentConferenceName } from '../../../src/engine/agent-desk.js';
import { parseXml } from './xml.js';

const response = (xml: string) => parseXml(xml);

describe("agents' TwiML", () => {
  it('holds the answered lead in silence, then hangs up if the engine never routes it', () => {
    const r = response(agentHoldTwiml(10));
    expect(r.children.map((c) => c.name)).toEqual(['Pause', 'Hangup']);
    expect(r.children[0]!.attrs.length).toBe('10');
  });

  it('the lead joins the agent conference with a tone, and leaving does not end it', () => {
    const name = agentConferenceName('123', 'ann@example.com');
    expect(name).toBe('autodial-123-ann_example_com');
    const conference = response(leadToAgentTwiml(name)).children[0]!.children[0]!;
    expect(conference.name).toBe('Conference');
    expect(conference.text).toBe(name);
    expect(conference.attrs).toMatchObject({
      beep: 'onEnter',
      endConferenceOnExit: 'false',
      startConferenceOnEnter: 'false',
    });
  });

  it('the agent pinned leg starts the conference, hears silence between leads, and ends it on leaving', () => {
    const conference = response(agentJoinTwiml('autodial-1-ann')).children[0]!.children[0]!;
    expect(conference.attrs).toMatchObject({
      beep: 'false',
      startConferenceOnEnter: 'true',
      endConferenceOnExit: 'true',
      waitUrl: '',
    });
  });
});
