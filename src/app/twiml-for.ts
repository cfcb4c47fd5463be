/**
 * Answers Twilio's TwiML fetch for a call whose flow was too long to send inline: the adapter dials with
 * `url = /twilio/twiml/<flow kind>?attemptId=…`, and the TwiML is rebuilt here from the stored attempt and its
 * campaign, exactly as the adapter would have built it inline. A click-to-call's contact leg is always fetched
 * here, when the rep answers, so the engine can refuse it then.
 */
import type { Store } from '../engine/store/store.js';
import { dialRequestFor, portalOfAttempt } from '../engine/dialer.js';
import type { DialRequest } from '../telephony/telephony.js';
import { hangupTwiml, sayAndHangupTwiml } from '../telephony/twilio/twiml.js';
import type { TwilioFlows } from '../telephony/twilio/webhooks.js';

export interface TwimlForOptions {
  store: Store;
  /** TwilioTelephony.flowTwiml: the same builder the adapter uses inline. */
  flowTwiml(request: DialRequest): string;
  onUnknownAttempt?: (attemptId: string) => void;
  /**
   * Click-to-call: the rep answered and the contact leg is about to be dialed. The engine checks the DNC list
   * and the legal hours again (Engine.clickToCallAnswered); a refusal is spoken to the rep instead.
   */
  contactLegCheck(attemptId: string): Promise<{ ok: true } | { ok: false; message: string }>;
}

export function createTwimlFlows(options: TwimlForOptions): TwilioFlows {
  return {
    async twimlFor(attemptId) {
      const portalId = portalOfAttempt(attemptId);
      const attempt = portalId ? await options.store.getAttempt(portalId, attemptId) : null;
      const campaign = attempt ? await options.store.getCampaign(attempt.portalId, attempt.campaignId) : null;
      if (!attempt || !campaign) {
        // Nothing to play for a call we do not know: end it rather than leave the person in silence.
        options.onUnknownAttempt?.(attemptId);
        return hangupTwiml();
      }
      // The engine's own request for this attempt: the TwiML is what the inline dial would have carried.
      const request = dialRequestFor(attempt, campaign.settings);
      if (request.flow.kind === 'click-to-call') {
        const leg = await options.contactLegCheck(attemptId);
        if (!leg.ok) return sayAndHangupTwiml(leg.message);
      }
      return options.flowTwiml(request);
    },
  };
}
