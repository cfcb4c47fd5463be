/**
 * Answers Twilio's TwiML fetch for a call whose flow was too long to send inline: the adapter dials with
 * `url = /twilio/twiml/<flow kind>?attemptId=…`, and the TwiML is rebuilt here from the stored attempt and its
 * campaign, exactly as the adapter would have built it inline.
 */
import type { Store } from '../engine/store/store.js';
import { dialRequestFor, portalOfAttempt } from '../engine/dialer.js';
import type { DialRequest } from '../telephony/telephony.js';
import { hangupTwiml } from '../telephony/twilio/twiml.js';
import type { TwilioFlows } from '../telephony/twilio/webhooks.js';

export interface TwimlForOptions {
  store: Store;
  /** TwilioTelephony.flowTwiml: the same builder the adapter uses inline. */
  flowTwiml(request: DialRequest): string;
  onUnknownAttempt?: (attemptId: string) => void;
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
      return options.flowTwiml(dialRequestFor(attempt, campaign.settings));
    },
  };
}
