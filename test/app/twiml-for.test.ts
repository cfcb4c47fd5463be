/**
 * The TwiML fetched when a click-to-call's rep answers: the engine checks the DNC list and the legal hours again
 * at that moment, and a refusal is spoken to the rep instead of dialing the contact (issue 9, defect 3).
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createTwimlFlows } from '../../src/app/twiml-for.js';
import { CampaignService } from '../../src/engine/campaigns.js';
import { Engine } from '../../src/engine/dialer.js';
import { MemoryStore } from '../../src/engine/store/memory-store.js';
import type { DialRequest } from '../../src/telephony/telephony.js';
import {
  MONDAY_2PM_NY,
  ManualClock,
  RecordingTelephony,
  generousLimits,
  nyZones,
} from '../engine/fixtures/harness.js';

const P = '77';
const HOUR = 3_600_000;

describe('click-to-call TwiML when the rep answers', () => {
  let clock: ManualClock;
  let store: MemoryStore;
  let engine: Engine;
  const dialed: DialRequest[] = [];

  beforeEach(() => {
    clock = new ManualClock(MONDAY_2PM_NY);
    store = new MemoryStore(clock);
    const campaigns = new CampaignService({ store, clock, zones: nyZones, random: () => 0 });
    engine = new Engine({
      store,
      telephony: new RecordingTelephony(clock),
      clock,
      campaigns,
      zones: nyZones,
      random: () => 0,
      limits: generousLimits,
    });
  });
  afterEach(() => store.close());

  const flows = () =>
    createTwimlFlows({
      store,
      flowTwiml: (request) => {
        dialed.push(request);
        return '<Response><Dial><Number>contact</Number></Dial></Response>';
      },
      contactLegCheck: (attemptId) => engine.clickToCallAnswered(attemptId),
    });
  const call = (contactId: string, phone: string) =>
    engine.clickToCall(P, { contactId, phone, repPhone: '+12125557777', callerId: '+12125550000' });

  it('dials the contact when it is still allowed', async () => {
    const { attemptId } = await call('t1', '212-555-0170');
    clock.advance(10_000);
    expect(await flows().twimlFor(attemptId, {})).toContain('<Dial>');
  });

  it('speaks the refusal to the rep, and never dials the contact, once the legal hours have ended', async () => {
    clock.t = MONDAY_2PM_NY + 7 * HOUR - 5_000; // 20:59:55 in New York
    const { attemptId } = await call('t2', '212-555-0171');
    dialed.length = 0;
    clock.advance(25_000);
    const twiml = await flows().twimlFor(attemptId, {});
    expect(twiml).toContain("<Say>Can't call now: it is outside the legal calling hours");
    expect(twiml).toContain('<Hangup/>');
    expect(twiml).not.toContain('<Dial');
    expect(dialed).toHaveLength(0);
  });

  it('speaks the refusal when the number was flagged Do-Not-Call while the rep was ringing', async () => {
    const { attemptId } = await call('t3', '212-555-0172');
    await store.addDoNotCall(P, ['+12125550172']);
    const twiml = await flows().twimlFor(attemptId, {});
    expect(twiml).toContain('do-not-call');
    expect(twiml).not.toContain('<Dial');
  });
});
